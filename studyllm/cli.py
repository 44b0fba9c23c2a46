"""The ``studyllm`` command. With no subcommand it opens the TUI.

Heavy modules (Textual, the parser, the calculators) are imported inside the commands
that need them, so ``studyllm --version`` and ``studyllm due`` start quickly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from studyllm import __version__
from studyllm.cli_common import (  # re-exported: `from studyllm.cli import echo` keeps working
    FULL_DISK_BYTES,
    PROG,
    echo,
    echo_json,
    flat,
    open_store,
    pad,
    progress_bar,
    run_reported,
    shown,
    status,
    sync_decks,
    text_width,
)

if TYPE_CHECKING:  # the store is imported when a command needs it, so --help stays fast
    from studyllm.store.importer import RewriteReport

__all__ = ["FULL_DISK_BYTES", "PROG", "build_parser", "echo", "echo_json", "flat", "main", "shown", "status"]

# The modules that add their own subcommands, registered explicitly: each has
# add_parser(subparsers) setting func=run. Adding a command is one line here. A module that
# fails to import stops `studyllm` with its error (never a silently missing command), except
# when what is missing is a third-party package of an optional extra: then the command is
# still listed and says what to install (see _unavailable).
_PLUGIN_MODULES = (
    "studyllm.cli_calc",
    "studyllm.cli_progress",
    "studyllm.cli_backup",
    "studyllm.cli_sync",
    "studyllm.cli_serve",
    "studyllm.cli_sched",
)

_open_store = open_store  # the names the tests and benchmarks use
_sync_decks = sync_decks


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
        from studyllm.store.rescan import rescan_if_changed

        # the deck re-scan, skipped when no deck file, folder or deck row changed (~25 ms: the importer)
        notes = rescan_if_changed(store, _sync_decks)
        # Textual draws at most MAX_FPS frames a second (60 by default): a start's first frames
        # come in a burst (layout, the ready frame, the numbers) and each waited for the next
        # 1/60 s tick, ~15 ms of idle wall time before home showed. 120 halves that wait; a
        # screen that isn't changing draws nothing either way. ``TEXTUAL_FPS`` set by the user wins.
        os.environ.setdefault("TEXTUAL_FPS", "120")
        from studyllm.ui.app import build_app

        app = build_app(store, daily_backup=True)  # made in a worker once the home screen is up
        app.startup_notes = notes[:5]
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
    width = max(text_width(t) for t in titles)
    echo(f"{'Deck':<{width}}  {'New':>5}  {'Due':>5}  {'Again':>5}  {'Cards':>6}")
    for title, d in zip(titles, decks, strict=True):
        echo(f"{pad(title, width)}  {d.new:>5}  {d.review:>5}  {d.drill:>5}  {d.total:>6}")
    cards = sum(d.total for d in decks)
    echo(f"{'Today':<{width}}  {totals.new:>5}  {totals.review:>5}  {totals.drill:>5}  {cards:>6}")
    if next_due:
        echo(f"Next reviews fall due on {next_due.isoformat()}.")
    return 0


def _ask_links(rewrites: list[RewriteReport]) -> list[int]:
    """``--link ask``: one question per possible rewrite on the terminal."""
    chosen: list[int] = []
    for i, rw in enumerate(rewrites):
        echo(f"\nPossible rewrite in {shown(rw.path)} (similarity {rw.score:.2f}, {rw.reviews} answer(s) to keep):")
        echo(f"  was (line {rw.old_line}): {shown(_cut(rw.old_front))} :: {shown(_cut(rw.old_back))}")
        echo(f"  now (line {rw.new_line}): {shown(_cut(rw.new_front))} :: {shown(_cut(rw.new_back))}")
        try:
            answer = input("  Same card? Move its history onto the new text [y/N] ").strip().lower()
        except EOFError:
            answer = ""
        if answer in ("y", "yes"):
            chosen.append(i)
    return chosen


def _cut(text: str, width: int = 70) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def cmd_import(args: argparse.Namespace) -> int:
    from studyllm.store.importer import import_paths, report_dict

    store = _open_store(args)
    paths = [Path(p) for p in args.paths]
    if any(p.suffix.lower() in (".apkg", ".colpkg") for p in paths):  # Anki packages: studyllm/cli_anki.py
        import importlib  # lazily: cli_anki imports the store and the Anki reader

        return int(importlib.import_module("studyllm.cli_anki").import_packages(store, paths, args))
    if args.into:
        echo(f"{PROG} import: error: --into is for Anki packages (.apkg, .colpkg)", err=True)
        store.close()
        return 2
    # a hashcards folder: its hashcards.db is read and checked first, its history taken after the import
    hashcards = [p for p in paths if (p / "hashcards.db").is_file()]
    if hashcards:
        import importlib

        migrate = importlib.import_module("studyllm.cli_anki")
        plans = migrate.read_hashcards(store, hashcards)
        if plans is None:
            return 2
    bar = progress_bar(sys.stderr.isatty() and not args.json)
    progress = (lambda done, total, path: bar(done, total, Path(path).name)) if bar else None
    link = args.link
    if link == "ask":
        if args.json or not sys.stdin.isatty():
            echo(f"{PROG} import: error: --link needs a terminal to ask on; use --link all or --link none",
                 err=True)
            store.close()
            return 2
        link = _ask_links
    mode = args.mode or ("outline" if args.outline else None)
    report = import_paths(store, paths, dry_run=args.dry_run, force=args.force, progress=progress, mode=mode,
                          strict=args.strict, link=link, track=not args.dry_run)
    taken = migrate.take_hashcards(store, plans, args) if hashcards else []
    if args.json:
        echo_json({**report_dict(report), "hashcards": taken} if hashcards else report_dict(report))
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
            if args.verbose:
                for c in d.cards:
                    how = f" [{c.layer}{'' if c.score >= 1 else f' {c.score:.2f}'}]" if c.layer else ""
                    was = f"  (was: {shown(c.old_front)})" if c.old_front and c.old_front != c.front else ""
                    echo(f"  {c.action:<9} {shown(c.path)}:{c.line}  {shown(c.front)}  ({c.uid}){how}{was}")
            for rw in d.rewrites:
                if rw.linked:
                    continue
                echo(f"  possible rewrite (similarity {rw.score:.2f}): {rw.old_uid} line {rw.old_line} "
                      f"\"{shown(_cut(rw.old_front, 40))}\" -> {rw.new_uid} line {rw.new_line} "
                      f"\"{shown(_cut(rw.new_front, 40))}\"")
        t = report.totals()
        echo(
            f"{t['files']} file(s): {t['new']} new, {t['unchanged']} unchanged, {t['updated']} updated, "
            f"{t['archived']} archived, {t['errors']} error(s)"
            + (f", {len(report.card_errors)} card(s) skipped" if report.card_errors else "")
        )
        if t["possible_rewrites"] and not args.dry_run:
            echo(f"{t['possible_rewrites']} possible rewrite(s): keep their history with "
                  f"`{PROG} link OLD NEW`.")
        if hashcards:
            migrate.echo_hashcards(taken, args)
    store.close()
    return 1 if report.errors or report.card_errors else 0


def cmd_sources(args: argparse.Namespace) -> int:
    from studyllm.store.sources import forget, list_sources

    store = _open_store(args)
    try:
        if args.action == "forget":
            if not args.path:
                echo(f"{PROG} sources forget: error: give the PATH to stop tracking", err=True)
                return 2
            try:
                src, archived = forget(store, args.path)
            except KeyError:
                echo(f"{PROG} sources forget: error: {shown(args.path)} is not a tracked source "
                      f"(`{PROG} sources` lists them)", err=True)
                return 1
            echo(f"No longer tracking {shown(src)}." + (
                f" {archived} deck(s) whose files are gone were archived (history kept)." if archived else ""))
            return 0
        rows = list_sources(store)
        if args.json:
            echo(json.dumps([r.__dict__ for r in rows], ensure_ascii=False, indent=2))
            return 0
        if not rows:
            echo(f"No tracked sources. `{PROG} import PATH` tracks the files and folders it imports.")
            return 0
        for r in rows:
            kind = "folder" if r.is_dir else "file"
            state = r.state + (f" -> {shown(r.moved_to)}" if r.moved_to else "")
            last = (r.last_import_at or "never")[:19].replace("T", " ")
            echo(f"{shown(r.path)}  ({kind}: {r.decks} deck(s), {r.cards} card(s), last import {last}, {state})")
        return 0
    finally:
        store.close()


def cmd_link(args: argparse.Namespace) -> int:
    from studyllm.store.links import LinkError, link, links

    if args.old is None or args.new is None:
        if args.old is not None:
            echo(f"{PROG} link: error: give both OLD and NEW (or neither, to list the links)", err=True)
            return 2
        store = _open_store(args)
        try:
            rows = links(store)
        finally:
            store.close()
        if not rows:
            echo("No linked cards.")
        for old, new, at in rows:
            echo(f"{old.uid} -> {new.uid}  \"{shown(_cut(new.front, 50))}\"  (linked {at[:19].replace('T', ' ')})")
        return 0
    store = _open_store(args, sync=True)
    try:
        old, new, n = link(store, args.old, args.new)
    except LinkError as exc:
        echo(f"{PROG} link: error: {shown(str(exc))}", err=True)
        return 1
    finally:
        store.close()
    echo(f"Linked: {n} answer(s) of \"{shown(_cut(old.front, 50))}\" ({old.uid}) now belong to "
          f"\"{shown(_cut(new.front, 50))}\" ({new.uid}); its schedule was rebuilt from them. "
          f"Undo with `{PROG} unlink {new.uid}`.")
    return 0


def cmd_unlink(args: argparse.Namespace) -> int:
    from studyllm.store.links import LinkError, unlink

    store = _open_store(args, sync=True)
    try:
        old, new, n = unlink(store, args.new)
    except LinkError as exc:
        echo(f"{PROG} unlink: error: {shown(str(exc))}", err=True)
        return 1
    finally:
        store.close()
    echo(f"Unlinked: {n} answer(s) went back to \"{shown(_cut(old.front, 50))}\" ({old.uid}).")
    return 0


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
                   help="deck files or folders (recursing into *.md; a folder with a hashcards.db brings its history); "
                        "Anki text exports (.txt/.tsv/.csv) and packages (.apkg/.colpkg) by name")
    p.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    p.add_argument("--into", metavar="DIR", help="Anki packages: the folder their deck files are written into "
                   "(default: the first deck folder, else the current folder)")
    p.add_argument("--mode", choices=("cards", "headings", "outline"),
                   help="how to read the files, as front matter 'mode:' (default: each file's own, else cards)")
    p.add_argument("--outline", action="store_true", help="same as --mode outline (notes as headings and bullets)")
    p.add_argument("--strict", action="store_true",
                   help="a file with any card error imports nothing (default: skip that card, import the rest)")
    p.add_argument("--force", action="store_true", help="re-parse files even when unchanged")
    p.add_argument("--json", action="store_true", help="print the report as JSON (every card and possible rewrite)")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="list every new, updated, moved, archived, restored and linked card (file:line and front)")
    p.add_argument("--link", default="none", choices=("ask", "all", "none"),
                   help="possible rewrites: ask for each on the terminal (--link), link them all, or only list them "
                        "(none, the default)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "sources", help="list or forget the tracked deck files and folders",
        description="Every file or folder given to `import` is tracked and re-scanned at start-up.",
    )
    p.add_argument("action", nargs="?", choices=("list", "forget"), default="list")
    p.add_argument("path", nargs="?", metavar="PATH", help="with forget: the tracked path to stop re-scanning")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser(
        "link", help="move an archived card's history onto its rewritten card",
        description="Confirm a possible rewrite: OLD's answers move onto NEW and NEW's schedule is rebuilt from "
                    "them. Cards are named by uid (or a unique prefix of 6+ characters), as the import report shows.",
    )
    p.add_argument("old", metavar="OLD", nargs="?", help="uid of the archived card that holds the history")
    p.add_argument("new", metavar="NEW", nargs="?", help="uid of the card that holds the new text "
                   "(with neither OLD nor NEW: list the links made)")
    p.set_defaults(func=cmd_link)

    p = sub.add_parser("unlink", help="undo a link",
                       description="Give the answers moved onto NEW back to its old card.")
    p.add_argument("new", metavar="NEW", help="uid of the linked card")
    p.set_defaults(func=cmd_unlink)

    p = sub.add_parser("settings", help="show or change settings", description="Show all settings, one, or set one.")
    p.add_argument("key", nargs="?", help="setting name")
    p.add_argument("value", nargs="?", help="new value (lists: comma-separated)")
    p.set_defaults(func=cmd_settings)

    for name in _PLUGIN_MODULES:
        _register(sub, name)
    return parser


def _register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str) -> None:
    import importlib

    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if not missing or missing == "studyllm":
            raise  # our own code is broken: say so loudly
        _unavailable(sub, name, missing)
        return
    module.add_parser(sub)


def _unavailable(sub: argparse._SubParsersAction[argparse.ArgumentParser], module: str, missing: str) -> None:
    """A command whose module needs a package that isn't installed (an optional extra): it is
    still listed, and running it says what to install instead of "invalid choice"."""
    command = module.rsplit(".", 1)[-1].removeprefix("cli_")
    message = (f"this command needs the package {missing!r}, which is not installed; it comes with an "
               f"optional extra: pip install 'studyllm[{command}]'")
    p = sub.add_parser(command, help=f"(not installed: needs {missing})", description=message, add_help=True)
    p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def run(args: argparse.Namespace) -> int:
        echo(f"{PROG} {command}: error: {message}", err=True)
        return 2

    p.set_defaults(func=run)


def _link_default(argv: list[str]) -> list[str]:
    """``import --link PATH``: a bare ``--link`` means ``--link ask`` (argparse would take PATH
    as its value)."""
    out = []
    for i, arg in enumerate(argv):
        out.append(arg)
        if arg == "--link" and (i + 1 == len(argv) or argv[i + 1] not in ("ask", "all", "none")):
            out.append("ask")
    return out


def _app_only(argv: list[str]) -> argparse.Namespace | None:
    """``studyllm`` and ``studyllm --home DIR``, the app's start, read without building every
    command's parser (~15 ms of the start: it imports each command's module). Anything else,
    ``--help`` and abbreviations included, goes through the full parser (a test checks that both
    read these the same)."""
    if not argv:
        home = None
    elif len(argv) == 2 and argv[0] == "--home" and not argv[1].startswith("-"):
        home = argv[1]
    elif len(argv) == 1 and argv[0].startswith("--home="):
        home = argv[0].removeprefix("--home=")
    else:
        return None
    return argparse.Namespace(home=home, func=cmd_tui)


def main(argv: Sequence[str] | None = None) -> int:
    arg_list = list(sys.argv[1:] if argv is None else argv)
    args = _app_only(arg_list) or build_parser().parse_args(_link_default(arg_list))
    try:
        return run_reported("", args.func, args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
