"""``studyllm stats``, ``studyllm export`` and ``studyllm import-progress``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO, cast

from studyllm.cli_common import CommandError, echo, echo_json, flat, pad, progress_bar, reported, shown, text_width
from studyllm.cli_common import open_store as _open_store
from studyllm.textsafe import clean

if TYPE_CHECKING:
    from studyllm.store import Store

PROG = "studyllm"


_Fail = CommandError


def _guard(name: str, fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    return reported(name, fn)


def _progress_printer(enabled: bool) -> Callable[[int, int, str], None] | None:
    return progress_bar(enabled)


# --------------------------------------------------------------------------- stats


def _pct(rate: dict[str, Any]) -> str:
    if not rate["total"]:
        return "-"
    return f"{rate['passed']}/{rate['total']} {100 * rate['rate']:.0f}%"


def _bar(n: int, top: int, width: int = 40) -> str:
    return "#" * (max(1, round(width * n / top)) if n and top else 0)


def format_stats(data: dict[str, Any], days: int) -> str:
    lines: list[str] = []
    st = data["streaks"]
    per_day = data["reviews_per_day"]
    total = sum(d["reviews"] for d in per_day)
    lines.append(f"Study day {data['today']}: streak {st['current']} day(s), longest {st['longest']}, "
                 f"{st['days_studied']} day(s) studied in all")
    lines.append("")
    lines.append(f"Reviews per day, last {days} days: {total} in all, {total / days:.1f} a day")
    if days <= 31:
        buckets = [(d["day"], d["reviews"]) for d in per_day]
    else:  # weekly sums keep the listing short
        buckets = []
        for i in range(0, len(per_day), 7):
            chunk = per_day[i:i + 7]
            buckets.append((f"{chunk[0]['day']}+{len(chunk) - 1}d", sum(d["reviews"] for d in chunk)))
    top = max((n for _, n in buckets), default=0)
    for label, n in buckets:
        lines.append(f"  {label:<16} {n:>6}  {_bar(n, top)}")
    lines.append("")
    heat = data["heatmap"]
    lines.append(f"Last 365 days: {heat['total']} answer(s), busiest day {heat['max']} "
                 "(a column a week, Monday on top; . none, then : + * # for more)")
    marks = ".:+*#"
    top = heat["max"] or 1
    for row, name in enumerate(("Mon", "", "Wed", "", "Fri", "", "Sun")):
        cells = []
        for week in heat["weeks"]:
            cell = week[row]
            n = cell[1] if cell else 0
            cells.append(" " if cell is None else marks[0 if n == 0 else min(4, 1 + (4 * (n - 1)) // top)])
        lines.append(f"  {name:<4}" + "".join(cells))
    lines.append("")
    ret = data["retention"]
    lines.append("True retention (q >= 3 on reviews)   today            last 7 days      last 30 days")
    for kind in ("young", "mature", "all"):
        o = ret["overall"]
        lines.append(f"  {kind:<36}" + "".join(f"{_pct(o[p][kind]):<17}" for p in ("today", "week", "month")))
    for d in ret["decks"]:
        lines.append(f"  {flat(d['title'])[:36]:<36}"
                     + "".join(f"{_pct(d[p]['all']):<17}" for p in ("today", "week", "month")))
    if data.get("desired_retention") is not None:  # FSRS mode: what the scheduler aims at
        lines.append(f"  {'desired (FSRS)':<36}{round(data['desired_retention'] * 100)}%")
    lines.append("")
    fc = data["forecast"]
    lines.append(f"Due in the next 30 days: {sum(d['due'] for d in fc)} (today, overdue included: {fc[0]['due']})")
    top = max((d["due"] for d in fc), default=0)
    for d in fc:
        if d["due"]:
            lines.append(f"  {d['day']}  {d['due']:>6}  {_bar(d['due'], top)}")
    lines.append("")
    c = data["cards"]
    lines.append("Cards: " + ", ".join(f"{c[k]} {k}" for k in ("new", "learning", "young", "mature", "suspended",
                                                               "archived", "leeches")) + f" ({c['total']} in all)")
    if data["ef"]:
        lines.append("Easiness of answered cards:")
        top = max(e["cards"] for e in data["ef"])
        for e in data["ef"]:
            lines.append(f"  EF {e['ef']:.1f}-{e['ef'] + 0.09:.2f} {e['cards']:>7}  {_bar(e['cards'], top)}")
    lines.append("")
    decks = [{**d, "title": flat(d["title"])} for d in data["decks"]]
    if decks:
        w = max(12, *(text_width(d["title"]) for d in decks))
        w = min(w, 40)
        lines.append(f"{'Deck':<{w}}  {'New':>6} {'Learn':>6} {'Young':>6} {'Mature':>6} {'Leech':>6} {'Total':>7}")
        for d in decks:
            lines.append(f"{pad(d['title'], w)}  {d['new']:>6} {d['learning']:>6} {d['young']:>6} {d['mature']:>6} "
                         f"{d['leeches']:>6} {d['total']:>7}")
    else:
        lines.append("No decks yet. Add some with: studyllm import PATH")
    return "\n".join(lines)


def cmd_stats(args: argparse.Namespace) -> int:
    from studyllm.store import stats

    store = _open_store(args, sync=not args.no_sync)  # as `due`: edits to tracked decks count
    try:
        data = stats.summary(store, days=args.days)
    finally:
        store.close()
    if args.json:
        echo_json(data)
    else:
        echo(format_stats(data, args.days))
    return 0


# --------------------------------------------------------------------------- export


class _TerminalSafe:
    """Standard output for an export written with ``-o -``. JSON: the characters JSON keeps
    raw but a terminal may act on (C1 controls, bidi overrides) are written as ``\\u``
    escapes, which is the same document. Anki TSV, only when standard output is a
    terminal: escape sequences and control characters are removed (piped into a file, the
    text is written exactly)."""

    def __init__(self, stream: Any, escape: Literal["remove", "json"]):
        self.stream = stream
        self.escape = escape

    def write(self, text: str) -> int:
        return self.stream.write(clean(text, escape=self.escape))

    def flush(self) -> None:
        self.stream.flush()


def _export_json(store: Store, out: Path, to_stdout: bool, args: argparse.Namespace, show: bool) -> str:
    from studyllm.store import export
    from studyllm.store.atomic import atomic_text

    prog = _progress_printer(show)
    safe_json = cast(TextIO, _TerminalSafe(sys.stdout, "json"))
    counts = (export.export_json(store, safe_json, progress=prog) if to_stdout
              else atomic_text(out, lambda fh: export.export_json(store, fh, progress=prog)))
    return f"{counts['decks']} deck(s), {counts['cards']} card(s), {counts['review_log']} answer(s)"


def _export_csv(store: Store, out: Path, to_stdout: bool, args: argparse.Namespace, show: bool) -> str:
    from studyllm.store import export

    if out.exists() and not out.is_dir():
        raise _Fail(f"{out} is a file; --format csv writes its files into a folder (-o DIR)")
    written = export.export_csv(store, out, progress=_progress_printer(show))
    return (f"{written['cards']} card state(s) and {written['review_log']} answer(s)"
            f" in {', '.join(written['files'])}")


def _export_anki_tsv(store: Store, out: Path, to_stdout: bool, args: argparse.Namespace, show: bool) -> str:
    from studyllm.store import anki
    from studyllm.store.atomic import atomic_text

    tsv_out = cast(TextIO, _TerminalSafe(sys.stdout, "remove")) if sys.stdout.isatty() else sys.stdout
    n = (anki.export_anki_tsv(store, tsv_out, deck_keys=args.deck) if to_stdout
         else atomic_text(out, lambda fh: anki.export_anki_tsv(store, fh, deck_keys=args.deck)))
    return f"{n} note(s) for Anki (File > Import; existing notes are updated by GUID)"


def _export_apkg(store: Store, out: Path, to_stdout: bool, args: argparse.Namespace, show: bool) -> str:
    from studyllm.store import anki

    return f"{anki.export_apkg(store, out, deck_keys=args.deck)} note(s) in an Anki package"


def _export_colpkg(store: Store, out: Path, to_stdout: bool, args: argparse.Namespace, show: bool) -> str:
    from studyllm.store import anki

    n = anki.export_colpkg(store, out)
    return f"{n} note(s) in an Anki collection package (Anki replaces its collection with it on import)"


@dataclass(frozen=True)
class ExportFormat:
    """One ``studyllm export --format``: a new format is one entry of :data:`EXPORT_FORMATS`."""

    name: str
    label: str  # as messages name it
    write: Callable[[Store, Path, bool, argparse.Namespace, bool], str]  # (store, out, to stdout, args, progress)
    stdout_target: str | None = None  # None: can write to standard output; else what -o must name instead
    decks: bool = False  # takes --deck (else the export is always complete)


EXPORT_FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("json", "JSON", _export_json),
    ExportFormat("csv", "CSV", _export_csv, stdout_target="DIR"),
    ExportFormat("anki-tsv", "Anki notes", _export_anki_tsv, decks=True),
    ExportFormat("apkg", "Anki package", _export_apkg, stdout_target="FILE.apkg", decks=True),
    ExportFormat("colpkg", "Anki collection package", _export_colpkg, stdout_target="FILE.colpkg"),
)}
FORMATS = tuple(EXPORT_FORMATS)


def cmd_export(args: argparse.Namespace) -> int:
    fmt = EXPORT_FORMATS[args.format]
    if args.output is None:
        raise _Fail("say where to write with -o FILE (-o DIR for --format csv, -o - for standard output)")
    to_stdout = args.output == "-"
    if to_stdout and fmt.stdout_target is not None:
        raise _Fail(f"--format {fmt.name} can't go to standard output; give -o {fmt.stdout_target}")
    if args.deck and not fmt.decks:
        takes = " and ".join(f.name for f in EXPORT_FORMATS.values() if f.decks)
        raise _Fail(f"--deck applies to {takes}; the {fmt.label} export is always complete")
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    store = _open_store(args, sync=not args.no_sync)  # export what the deck files say now, as `due` shows
    try:
        known = {d.key for d in store.decks(include_archived=True)}
        missing = [k for k in (args.deck or []) if k not in known]
        if missing:
            raise _Fail(f"no deck with key {', '.join(map(repr, missing))}; "
                        f"known: {', '.join(shown(k) for k in sorted(known)) or 'none'}")
        msg = fmt.write(store, Path(args.output), to_stdout, args, show)
    finally:
        store.close()
    if not to_stdout:
        echo(f"Exported {msg} to {shown(args.output)}.", err=bool(args.quiet))
    return 0


# --------------------------------------------------------------------------- import-progress


def cmd_import_progress(args: argparse.Namespace) -> int:
    from studyllm.store.export_format import load_export
    from studyllm.store.merge import merge_export, place_export_decks

    path = Path(args.file)
    if not path.exists():
        raise _Fail(f"{shown(path)}: no such file or folder")
    data = load_export(path)  # checked before the store is opened: bad input changes nothing
    # the deck folders first (the shipped decks on a fresh home): an export's answers can
    # only land on cards this home knows
    store = _open_store(args, sync=not args.no_sync)
    try:
        # the learner decks the export carries, so their answers have cards to land on
        decks = place_export_decks(store, data, dry_run=args.dry_run)
        report = merge_export(store, data, dry_run=args.dry_run)
    finally:
        store.close()
    failed = 1 if report.unknown and not args.dry_run else 0  # an answer that can't be placed is an error
    if args.json:
        echo_json({**report.as_dict(), "decks_imported": decks.imported, "deck_problems": decks.problems})
        if failed:
            echo(f"{PROG} import-progress: error: {report.skipped_unknown} answer(s) could not be placed",
                 err=True)
        return failed
    if args.dry_run:
        echo("Dry run: nothing was changed.")
    if decks.imported:
        echo(f"{len(decks.imported)} deck(s) from the export {'would be' if args.dry_run else 'were'} imported"
             f" into the home's sync-decks folder: {', '.join(shown(k) for k in decks.imported)}")
    for p in decks.problems:
        echo(f"{PROG} import-progress: warning: {shown(p)}", err=True)
    echo(f"{shown(report.source)}: {report.rows_in_file} answer(s) in the file: {report.added} added, "
         f"{report.already_present} already here, {report.skipped_unknown} for cards not in this home.")
    echo(f"{report.cards_replayed} card(s) rebuilt from the merged log "
         f"({report.matched_by_uid} card(s) matched by id, {report.matched_by_content} by deck and content).")
    if report.unknown:
        echo(f"{len(report.unknown)} card(s) are unknown here (import their decks first, then run this again):")
        for u in report.unknown[:20]:
            front = flat(u.front)[:60]
            echo(f"  {shown(u.deck_key or '?')} / {shown(u.uid)}: {front!r} ({u.reviews} answer(s))")
        if len(report.unknown) > 20:
            echo(f"  ... and {len(report.unknown) - 20} more (use --json for the full list)")
    if failed:
        echo(f"{PROG} import-progress: error: {report.skipped_unknown} answer(s) on {len(report.unknown)} card(s)"
             " could not be placed (their decks are not in this home, nor in the export); the others were merged."
             " Import those decks, then run this again: nothing is doubled", err=True)
    return failed


# --------------------------------------------------------------------------- parser


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "stats", help="study statistics (text or JSON)",
        description="Reviews per day, streaks, true retention, the due forecast, cards by state and per deck.",
    )
    p.add_argument("--days", type=int, choices=(30, 90, 365), default=30, help="span of the reviews-per-day figures")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--no-sync", action="store_true", help="don't re-scan deck folders and tracked sources first")
    p.set_defaults(func=_guard("stats", cmd_stats))

    p = subparsers.add_parser(
        "export", help="export progress (json, csv) or cards for Anki (anki-tsv, apkg, colpkg)",
        description=(
            "json: complete, versioned export of decks, cards, card states and the review log "
            "(see docs/export-format.md). "
            "csv: review_log.csv, card_states.csv and deck_sources.csv written into the folder -o DIR. "
            "anki-tsv: a notes file for Anki's File > Import with stable GUIDs. apkg: an Anki package of the decks "
            "(--deck) with their schedule and review log. colpkg: the whole collection as an Anki collection package."
        ),
    )
    p.add_argument("--format", "-f", choices=FORMATS, default="json", help="what to write (default json)")
    p.add_argument("-o", "--output", metavar="PATH", help="file to write (a folder for csv; - for standard output)")
    p.add_argument("--deck", action="append", metavar="KEY", help="only this deck (anki-tsv, apkg; repeatable)")
    prog = p.add_mutually_exclusive_group()
    prog.add_argument("--progress", dest="progress", action="store_true", default=None,
                      help="show a progress bar on stderr (default: when stderr is a terminal)")
    prog.add_argument("--no-progress", dest="progress", action="store_false", help="never show a progress bar")
    p.add_argument("--quiet", "-q", action="store_true", help="print the summary line on stderr instead of stdout")
    p.add_argument("--no-sync", action="store_true", help="don't re-scan deck folders and tracked sources first")
    p.set_defaults(func=_guard("export", cmd_export))

    p = subparsers.add_parser(
        "import-progress", help="merge an export from another machine into this home",
        description=(
            "Merge a JSON export (or a CSV export folder / review_log.csv) into this home. Answers are added by their "
            "unique id, so importing twice changes nothing; the states of the cards concerned are rebuilt by replaying "
            "the merged review log. The deck folders are re-scanned first, as on every start, so a fresh home "
            "knows the shipped decks. Cards not in this home are listed, not guessed. All or nothing."
        ),
    )
    p.add_argument("file", metavar="FILE", help="a studyllm export (.json), a CSV export folder or review_log.csv")
    p.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--no-sync", action="store_true",
                   help="don't re-scan the deck folders (the shipped decks, deck_folders) first")
    p.set_defaults(func=_guard("import-progress", cmd_import_progress))
