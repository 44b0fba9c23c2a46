"""The ``studyllm`` command. With no subcommand it opens the TUI.

Heavy modules (Textual, the parser, the calculators) are imported inside the commands
that need them, so ``studyllm --version`` and ``studyllm due`` start quickly.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from studyllm import __version__
from studyllm.textsafe import clean

if TYPE_CHECKING:  # the store is imported when a command needs it, so --help stays fast
    from studyllm.store import Store

PROG = "studyllm"

# Modules that add their own subcommands: each has add_parser(subparsers) setting func=run.
_PLUGIN_MODULES = ("studyllm.cli_calc", "studyllm.cli_progress", "studyllm.cli_backup")


def shown(text: object) -> str:
    """A file name, uid or key for a message: control characters shown escaped (``\\x1b``,
    ``\\n``) instead of acting, so the exact value can still be read."""
    return clean(text, escape="visible")


def flat(text: object) -> str:
    """A title for a one-line listing: sanitised, with its whitespace runs (newlines too) made one space."""
    return " ".join(clean(text).split())


def echo(text: object = "", *, err: bool = False, end: str = "\n") -> None:
    """Print to standard output (``err=True``: standard error) through the one sanitiser,
    :func:`studyllm.textsafe.clean`. Every line the commands print goes through here
    (``tests/test_terminal_safety.py`` checks the CLI modules call ``print`` nowhere else)."""
    print(clean(text), end=end, file=sys.stderr if err else sys.stdout)


def echo_json(value: object) -> None:
    """Print ``value`` as indented JSON; the characters JSON leaves raw but a terminal may act
    on (C1 controls, bidi overrides) are written as ``\\u`` escapes, so the data is unchanged."""
    print(clean(json.dumps(value, ensure_ascii=False, indent=2), escape="json"))


def status(text: str) -> None:
    """Redraw a one-line progress bar on standard error (a carriage return, then ``text``
    sanitised)."""
    print("\r" + clean(text), end="", file=sys.stderr, flush=True)


def _open_store(args: argparse.Namespace, *, sync: bool = False) -> Store:
    from studyllm.paths import resolve_home
    from studyllm.store import Store

    store = Store.open(resolve_home(args.home))
    if sync:
        _sync_decks(store)
    return store


def _sync_decks(store: Store) -> None:
    """Re-scan the deck folders; a broken file is a warning, not a reason to stop."""
    from studyllm.store.importer import sync_folders

    for err in sync_folders(store).errors:
        echo(f"{PROG}: warning: {shown(str(err))}", err=True)


def cmd_tui(args: argparse.Namespace) -> int:
    import gc

    # No garbage collection while Textual and the screens are imported and the store opened:
    # the objects made here live as long as the app, so collections would only scan them
    # (24 ms of the 0.47 s before the app runs at 10,000 cards, median of 15). They are frozen
    # out of later collections before the app runs.
    collect = gc.isenabled()
    gc.disable()
    try:
        store = _open_store(args)
        _sync_decks(store)
        from studyllm.ui.app import build_app

        app = build_app(store, daily_backup=True)  # made in a worker once the home screen is up
    finally:
        if collect:
            gc.freeze()
            gc.enable()
    app.run()
    store.close()
    return 0


def cmd_due(args: argparse.Namespace) -> int:
    store = _open_store(args, sync=not args.no_sync)
    decks = store.decks()
    today = store.today()
    next_due = store.next_due()
    totals = store.counts()  # the global daily limits apply on top of each deck's own
    if args.json:
        out = {
            "today": today.isoformat(),
            "next_due": next_due.isoformat() if next_due else None,
            "totals": {"new": totals.new, "review": totals.review, "drill": totals.drill},
            "decks": [
                {"key": d.key, "title": d.title, "new": d.new, "review": d.review, "drill": d.drill,
                 "learning": d.learning, "total": d.total, "suspended": d.suspended, "leeches": d.leeches}
                for d in decks
            ],
        }
        echo_json(out)
        return 0
    if not decks:
        echo("No decks yet. Add some with: studyllm import PATH")
        return 0
    titles = [flat(d.title) for d in decks]
    width = max(len(t) for t in titles)
    echo(f"{'Deck':<{width}}  {'New':>5}  {'Due':>5}  {'Again':>5}  {'Cards':>6}")
    for title, d in zip(titles, decks, strict=True):
        echo(f"{title:<{width}}  {d.new:>5}  {d.review:>5}  {d.drill:>5}  {d.total:>6}")
    cards = sum(d.total for d in decks)
    echo(f"{'Today':<{width}}  {totals.new:>5}  {totals.review:>5}  {totals.drill:>5}  {cards:>6}")
    if next_due:
        echo(f"Next reviews fall due on {next_due.isoformat()}.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from studyllm.store.importer import import_paths, report_dict

    store = _open_store(args)
    paths = [Path(p) for p in args.paths]
    progress = None
    if sys.stderr.isatty() and not args.json:
        def progress(done: int, total: int, path: str) -> None:
            if total > 1:
                bar = "#" * int(30 * done / total)
                status(f"[{bar:<30}] {done}/{total} {flat(Path(path).name)[:40]:<40}")
                if done == total:
                    echo(err=True)
    mode = args.mode or ("outline" if args.outline else None)
    report = import_paths(store, paths, dry_run=args.dry_run, force=args.force, progress=progress, mode=mode,
                          strict=args.strict)
    if args.json:
        echo_json(report_dict(report))
    else:
        if args.dry_run:
            echo("Dry run: nothing was changed.")
        for d in report.decks:
            name = d.title or d.path
            echo(f"{shown(name)} ({shown(d.path)}): {d.summary()}")
            for e in d.errors:
                echo(f"  error: {shown(str(e))}")
            for e in d.card_errors:
                echo(f"  skipped: {shown(str(e))}")
            for w in d.warnings:
                echo(f"  warning: {shown(str(w))}")
        t = report.totals()
        echo(
            f"{t['files']} file(s): {t['new']} new, {t['unchanged']} unchanged, {t['updated']} updated, "
            f"{t['archived']} archived, {t['errors']} error(s)"
            + (f", {len(report.card_errors)} card(s) skipped" if report.card_errors else "")
        )
    store.close()
    return 1 if report.errors or report.card_errors else 0


def cmd_settings(args: argparse.Namespace) -> int:
    from studyllm.store.settings import SPECS, parse_cli_value

    store = _open_store(args)
    if args.key is None:
        for key, value in store.settings().items():
            echo(f"{key} = {json.dumps(value)}    # {SPECS[key].help}")
        return 0
    if args.key not in SPECS:
        echo(f"{PROG} settings: error: unknown setting {shown(args.key)!r}; known: {', '.join(SPECS)}", err=True)
        return 2
    if args.value is None:
        echo(json.dumps(store.setting(args.key)))
        return 0
    try:
        store.set_setting(args.key, parse_cli_value(args.key, args.value))
    except ValueError as exc:
        echo(f"{PROG} settings: error: {shown(exc)}", err=True)
        return 2
    echo(f"{args.key} = {json.dumps(store.setting(args.key))}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Spaced-repetition study of LLM fundamentals in the terminal. Run with no command to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--home", metavar="DIR", help="data folder (default: $STUDYLLM_HOME, else the platform's user data folder)"
    )
    parser.set_defaults(func=cmd_tui)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("due", help="cards due and new per deck", description="Show what is due today, per deck.")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--no-sync", action="store_true", help="don't re-scan deck folders first")
    p.set_defaults(func=cmd_due)

    p = sub.add_parser(
        "import", help="import Markdown decks (files or folders)",
        description="Import or re-import Markdown decks. Progress is kept across edits; your files are never written.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="deck files or folders (recursing into *.md); Anki text exports (.txt/.tsv/.csv) by name")
    p.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    p.add_argument("--mode", choices=("cards", "headings", "outline"),
                   help="how to read the files, as front matter 'mode:' (default: each file's own, else cards)")
    p.add_argument("--outline", action="store_true", help="same as --mode outline (notes as headings and bullets)")
    p.add_argument("--strict", action="store_true",
                   help="a file with any card error imports nothing (default: skip that card, import the rest)")
    p.add_argument("--force", action="store_true", help="re-parse files even when unchanged")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("settings", help="show or change settings", description="Show all settings, one, or set one.")
    p.add_argument("key", nargs="?", help="setting name")
    p.add_argument("value", nargs="?", help="new value (lists: comma-separated)")
    p.set_defaults(func=cmd_settings)

    import importlib

    for name in _PLUGIN_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.add_parser(sub)
    return parser


FULL_DISK_BYTES = 1 << 20  # under this much free space, SQLite's "disk I/O error" is a full disk


def _disk_full_note(home: Path) -> str | None:
    """When the disk holding ``home`` is (nearly) full, say so: SQLite often reports a full
    disk as a "disk I/O error", which must not read as damage."""
    import shutil

    folder = home
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    if free >= FULL_DISK_BYTES:
        return None
    return (f"the disk holding {home} is full ({free:,} bytes free): that is why it can't write, the database "
            "is not damaged. Free some space and try again")


def main(argv: Sequence[str] | None = None) -> int:
    from studyllm.store.db import DatabaseError, StoreError, explain

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (StoreError, DatabaseError) as exc:
        # DatabaseError: damage found after the database was opened
        message = str(exc) if isinstance(exc, StoreError) else explain(exc)
        echo(f"{PROG}: error: {shown(message)}", err=True)
        from studyllm.paths import resolve_home
        from studyllm.store.backup import recovery_hint

        try:
            home = resolve_home(args.home)
            hint = _disk_full_note(home) or recovery_hint(home)
        except Exception:  # noqa: BLE001 - the hint is a courtesy; never hide the real error
            hint = None
        if hint:
            echo(f"{PROG}: {shown(hint)}", err=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
