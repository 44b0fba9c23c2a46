"""``studyllm serve``: the same app in a browser (textual-serve), offline and locked by a token."""

from __future__ import annotations

import argparse
import shlex
import socket
import sys

PROG = "studyllm serve"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="study in a web browser (needs the 'serve' extra)",
        description=(
            "Serve the app to a web browser on this machine: each tab runs its own copy of the app on "
            "the same data. A random token is made at start; the printed address carries it and any "
            "request without it is refused. Everything the page loads ships with the package (no "
            "internet needed). Needs: pip install 'studyllm[serve]'."
        ),
    )
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow --host to be an address other machines can reach (a phone on your network); "
                        "use it only on a trusted network or behind a TLS proxy (see docs/serve.md)")
    p.set_defaults(func=run)


def _lan_address() -> str | None:
    """This machine's address on the local network, as other devices would reach it (a UDP
    'connect' picks the outgoing interface; no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere
            addr = s.getsockname()[0]
    except OSError:
        return None
    return None if addr.startswith("127.") else str(addr)


def run(args: argparse.Namespace) -> int:
    from studyllm.cli_common import echo, shown
    from studyllm.paths import resolve_home

    try:
        from studyllm.serve import LockedServer, is_loopback, make_token
    except ImportError as exc:
        echo(f"{PROG}: error: the browser server needs the 'serve' extra ({shown(exc)}); install it with: "
             "pip install 'studyllm[serve]'", err=True)
        return 2
    if not 0 < args.port < 65536:
        echo(f"{PROG}: error: --port must be between 1 and 65535, not {args.port}", err=True)
        return 2
    host = args.host.strip()
    local = is_loopback(host)
    if not local and not args.allow_remote:
        echo(f"{PROG}: error: --host {shown(host)} can be reached from other machines; add --allow-remote "
             "if that is what you want (only on a trusted network, or behind a TLS proxy: see docs/serve.md)",
             err=True)
        return 2
    home = resolve_home(getattr(args, "home", None))
    home.mkdir(parents=True, exist_ok=True)
    # each tab runs this same Python's studyllm on this home
    command = shlex.join([sys.executable, "-m", "studyllm", "--home", str(home)])
    token = make_token()
    shown_host = host
    if host in ("0.0.0.0", "::", ""):
        shown_host = _lan_address() or "THIS-MACHINE'S-ADDRESS"
    url_host = f"[{shown_host}]" if ":" in shown_host else shown_host
    url = f"http://{url_host}:{args.port}/?token={token}"

    def started() -> None:
        if not local:
            echo(f"{PROG}: warning: listening on {shown(host)}: anyone who can reach this port and sees the "
                 "address below can study (and change) your progress. The connection is not encrypted: use "
                 "it only on a network you trust, or behind a TLS reverse proxy (docs/serve.md).", err=True)
        echo(f"Serving studyllm (data in {shown(home)}) at:")
        echo(f"  {shown(url)}")
        echo("Open that address in a browser; each tab is its own session. Press Ctrl+C to stop.", end="\n")
        sys.stdout.flush()

    server = LockedServer(command, host=host or "0.0.0.0", port=args.port, token=token, on_start=started)
    try:
        server.serve()
    except OSError as exc:
        echo(f"{PROG}: error: can't listen on {shown(host)}:{args.port}: {shown(exc.strerror or exc)}", err=True)
        return 1
    return 0
