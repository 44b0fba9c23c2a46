"""``studyllm sync``: progress through a folder another tool syncs (``docs/sync.md``)."""

from __future__ import annotations

import argparse

from studyllm.cli_common import echo, echo_json, open_store, shown
from studyllm.paths import expand_user

PROG = "studyllm"


def run(args: argparse.Namespace) -> int:
    from studyllm.store.db import StoreError
    from studyllm.store.sync import status, sync

    try:
        store = open_store(args, sync=not args.status)
    except StoreError as exc:
        echo(f"{PROG} sync: error: {shown(exc)}", err=True)
        return 1
    try:
        if args.status:
            st = status(store)
            if args.json:
                echo_json(st.as_dict())
                return 0
            if st.folder is None:
                echo("Sync is off: `studyllm sync --folder PATH` turns it on.")
                return 0
            echo(f"Sync folder: {shown(st.folder)} (this device: {st.device})")
            echo(f"Last sync: {st.last_sync or 'never'}")
            echo(f"Events pending: {st.pending_out} out, {st.pending_in} in")
            # device names are folder names in the sync folder, which other machines write: shown escaped,
            # so a newline in one can't forge a line of this report
            echo(f"Devices seen: {len(st.devices)} ({', '.join(shown(d) for d in st.devices)})")
            return 0
        try:
            report = sync(store, expand_user(args.folder) if args.folder else None)
        except StoreError as exc:
            echo(f"{PROG} sync: error: {shown(exc)}", err=True)
            return 1
        except OSError as exc:
            where = f"{shown(exc.filename)}: " if getattr(exc, "filename", None) else ""
            echo(f"{PROG} sync: error: {where}{shown(exc.strerror or exc)}", err=True)
            return 1
    finally:
        store.close()
    if args.json:
        echo_json(report.as_dict())
    else:
        echo(f"Synced with {shown(report.folder)}: {report.pushed} event(s) out, {report.read} line(s) read, "
             f"{report.added} answer(s) added, {report.undone} undone, {report.flags} bury/suspend change(s), "
             f"{report.cards_replayed} card(s) rebuilt.")
        if report.decks_in:
            echo(f"Deck(s) from the other machines imported: {', '.join(shown(k) for k in report.decks_in)}.")
        if report.decks_waiting:
            echo(f"Deck file(s) not in the sync folder yet (the sync tool is still copying?): "
                 f"{', '.join(shown(k) for k in report.decks_waiting)}.")
        if report.pending:
            echo(f"{report.pending} event(s) wait for cards this home doesn't have yet (their decks have not"
                 " arrived; they land at a later sync).")
        for p in report.problems[:20]:
            echo(f"{PROG} sync: warning: {shown(p)}", err=True)
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sync", help="sync progress through a folder (Syncthing, Dropbox, git)",
        description="Append this device's answers to its own journal in the sync folder and merge every other "
                    "device's. The live database never goes into the folder. See docs/sync.md.",
    )
    p.add_argument("--folder", metavar="PATH", help="the sync folder (needed the first time; remembered)")
    p.add_argument("--status", action="store_true", help="last sync, events pending out and in, devices seen")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)
