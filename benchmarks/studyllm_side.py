"""The studyllm half of the benchmarks: the real store, importer, parser and Textual app
on the Markdown decks. Same function names and keys as ``anki_side``.

Every measurement builds a fresh data folder in a new temporary directory (removed
afterwards), so the functions can be called in any order and alternated with Anki's.

    measure_import(md)                       -> import_s, parse_s, mdit_commonmark_s, mdit_preset_s, cards
    measure_reimport(md, edited_md)          -> reimport_unchanged_s, reimport_edited_s, reimport_forced_s, ...
    measure_study(md, n_answers=2000)        -> per_answer_median_ms / p95 / p99, fetch_*, answer_*
    measure_tui(md, n_answers=300)           -> tui_key_to_card_median_ms / p95 / p99, tui_reveal_* (Pilot)
    measure_days(md, days=30, per_day=500)   -> days_total_s, days_answers, ...
    measure_cold_start(md)                   -> cold_total_s, cold_proc_wall_s, ...   (fresh process)
    measure_tui_start(md)                    -> tui_start_home_s, tui_start_first_card_s (real terminal, tmux)
    measure_rss(md, n_answers=2000)          -> peak_rss_mb, db_bytes, ...            (fresh process)
    measure_all(md, edited_md)               -> all of the above

Run alone (decks are generated into benchmarks/out/ if missing):

    python benchmarks/studyllm_side.py --sizes 1000 10000 --runs 1

Notes on like-for-like:

* Every ``Store.answer`` commits its own transaction (WAL, ``synchronous=FULL``), as Anki's
  ``answer_card`` does.
* The deck file is copied into the temporary folder first (not timed), so the edited
  variant can be written over it: studyllm identifies a deck by its file, as a learner
  editing their notes would.
* ``max_deck_mb`` is raised to 64 for these stores: the 100,000-card deck (24.5 MB) is
  over the default 10 MB limit.
* The daily limits are raised to 9999 new / 9999 reviews, as on the Anki side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:  # benchmarks/ is a folder of scripts, not a package
    sys.path.insert(0, _HERE)

from common import (  # noqa: E402
    Timer,
    bytecode_env,
    emit_json,
    file_size,
    grade_sequence,
    latency_summary,
    median,
    median_of_runs,
    peak_rss_self_mb,
    run_in_subprocess,
    summary_table,
)

# Anki's four buttons onto SM-2 grades (the mapping the README suggests).
GRADES = {"again": 1, "hard": 3, "good": 4, "easy": 5}
LIMIT = 9999
MAX_DECK_MB = 64
DECK_FILE = "deck.md"
HOME = "home"
# A fixed start for simulated time: noon UTC, well after the 4 am rollover.
SIM_START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def studyllm_version() -> str:
    import studyllm

    return str(getattr(studyllm, "__version__", "?"))


# --------------------------------------------------------------------------- helpers


@contextmanager
def _workdir(work_dir: str | os.PathLike[str] | None = None) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="studyllm-bench-", dir=work_dir))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _open(home: Path, clock: Any = None):
    from studyllm.store import Store

    return Store.open(home, clock=clock)


def _prepare(store, *, limits: bool = True) -> None:
    store.set_setting("max_deck_mb", MAX_DECK_MB)
    if limits:
        store.set_setting("new_per_day", LIMIT)
        store.set_setting("reviews_per_day", LIMIT)


def _copy_deck(md_path: Path, d: Path) -> Path:
    dest = d / DECK_FILE
    shutil.copyfile(md_path, dest)
    return dest


def _import(store, deck: Path, *, force: bool = False):
    from studyllm.store.importer import import_paths

    t0 = time.perf_counter()
    report = import_paths(store, [deck], force=force)
    seconds = time.perf_counter() - t0
    if not report.ok:
        raise RuntimeError(f"import of {deck} failed: {report.errors[:3]}")
    return report, seconds


def _imported_store(d: Path, md_path: Path, *, clock: Any = None, limits: bool = True):
    deck = _copy_deck(md_path, d)
    store = _open(d / HOME, clock)
    _prepare(store, limits=limits)
    _import(store, deck)
    return store


# Freshly imported stores, kept per deck for this process: the study, TUI, 30-day and
# cold-start measurements start from a copy of one (the database file of a store that
# was just imported and closed), instead of importing 100,000 cards again each time.
# Import itself, re-import and the RSS child always import for real.
_TEMPLATES: dict[tuple[str, float], Path] = {}
_TEMPLATE_ROOT: Path | None = None


def _template_home(md_path: Path) -> Path:
    global _TEMPLATE_ROOT
    md_path = Path(md_path).resolve()
    key = (str(md_path), md_path.stat().st_mtime)
    home = _TEMPLATES.get(key)
    if home is not None and home.exists():
        return home
    if _TEMPLATE_ROOT is None:
        import atexit

        _TEMPLATE_ROOT = Path(tempfile.mkdtemp(prefix="studyllm-bench-templates-"))
        atexit.register(shutil.rmtree, _TEMPLATE_ROOT, True)
    d = Path(tempfile.mkdtemp(dir=_TEMPLATE_ROOT))
    store = _imported_store(d, md_path)
    store.close()
    _TEMPLATES[key] = d / HOME
    return d / HOME


def _fresh_store(d: Path, md_path: Path, *, clock: Any = None):
    """A store holding the freshly imported deck (limits raised), copied from the template."""
    shutil.copytree(_template_home(md_path), d / HOME)
    _copy_deck(md_path, d)
    return _open(d / HOME, clock)


def _live_cards(store) -> int:
    with store.database.connect() as conn:
        return conn.execute("SELECT count(*) FROM card WHERE archived = 0").fetchone()[0]


def _answer_loop(store, grades: list[str]) -> dict[str, list[float]]:
    """Per answer: ``next_card`` (the queue query and the card's text) + ``answer``
    (SM-2 and the review log, committed durably before it returns)."""
    per_answer: list[float] = []
    fetch: list[float] = []
    answer: list[float] = []
    pc = time.perf_counter
    for grade in grades:
        t0 = pc()
        card = store.next_card()
        if card is None:
            break
        t1 = pc()
        store.answer(card.id, GRADES[grade])
        t2 = pc()
        per_answer.append(t2 - t0)
        fetch.append(t1 - t0)
        answer.append(t2 - t1)
    return {"per_answer": per_answer, "fetch": fetch, "answer": answer}


# --------------------------------------------------------------------------- (1) import


def measure_import(md_path: str | os.PathLike[str], *, work_dir: str | None = None) -> dict[str, Any]:
    """(1) Import the Markdown deck into a fresh, empty store (``import_paths``: read, hash,
    parse, sync in one transaction, commit). Creating the empty store is not timed; the
    parser module is imported before the clock starts, as ``anki`` is on the other side.

    Beside it, on the same text: ``parse_s`` (``parse_file`` alone), ``mdit_preset_s``
    (markdown-it-py's block parse with studyllm's own preset, ``get_md().parse``) and
    ``mdit_commonmark_s`` (``MarkdownIt("commonmark").parse``, block + inline: the floor
    the issue names)."""
    from markdown_it import MarkdownIt

    from studyllm.decks._markdown import get_md
    from studyllm.decks.parser import parse_file

    md_path = Path(md_path)
    with _workdir(work_dir) as d:
        deck = _copy_deck(md_path, d)
        store = _open(d / HOME)
        try:
            _prepare(store, limits=False)
            report, import_s = _import(store, deck)
            cards = _live_cards(store)
        finally:
            store.close()
        db_bytes = _db_size(d / HOME)
        with Timer() as tp:
            parsed = parse_file(deck, max_bytes=MAX_DECK_MB * 1024 * 1024)
        text = deck.read_text(encoding="utf-8")
        preset = get_md()
        with Timer() as tm:
            preset.parse(text)
        cm = MarkdownIt("commonmark")
        with Timer() as tc:
            cm.parse(text)
    return {
        "import_s": import_s,
        "parse_s": tp.seconds,
        "mdit_preset_s": tm.seconds,
        "mdit_commonmark_s": tc.seconds,
        "cards": cards,
        "parsed_cards": len(parsed.cards),
        "new_notes": report.totals()["new"],
        "db_bytes_after_import": db_bytes,
    }


_IMPORT_CHILD = r"""
import sys, time, json
t0 = time.perf_counter()
from studyllm.cli import main
home, deck, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mb > 10:  # over the default max_deck_mb: raise it first (a second command, timed too)
    main(["--home", home, "settings", "max_deck_mb", str(mb)])
rc = main(["--home", home, "import", deck])
t1 = time.perf_counter()
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
print(json.dumps({"import_child_s": t1 - t0, "rc": rc, "peak_rss_mb": hwm}))
"""


def measure_import_process(md_path: str | os.PathLike[str], *, work_dir: str | None = None) -> dict[str, Any]:
    """(1b) The first import as a whole process, what a learner waits for: a fresh Python
    process runs ``studyllm --home NEW import deck.md`` (``studyllm.cli.main``: creating the
    new home and its database, reading, parsing, syncing, committing, the printed report).
    For a deck over the default 10 MB limit the same process first runs ``studyllm settings
    max_deck_mb 64``. ``import_proc_wall_s`` is timed from outside (interpreter start to
    exit); ``import_proc_rss_mb`` is the process's peak RSS."""
    md_path = Path(md_path)
    mb = MAX_DECK_MB if md_path.stat().st_size > 10 * 1024 * 1024 else 10
    with _workdir(work_dir) as d:
        deck = _copy_deck(md_path, d)
        r = run_in_subprocess(_IMPORT_CHILD, [str(d / HOME), str(deck), str(mb)], cwd=d)
        if r["rc"] != 0:
            raise RuntimeError(f"studyllm import exited {r['rc']}")
        cards = _live_cards_at(d / HOME)
    return {"import_proc_wall_s": r["proc_wall_s"], "import_proc_cpu_s": r["proc_cpu_s"],
            "import_proc_rss_mb": r["proc_peak_rss_mb"],
            "import_proc_notes": cards}


def _live_cards_at(home: Path) -> int:
    import sqlite3

    from studyllm.paths import db_path

    conn = sqlite3.connect(db_path(home))
    try:
        return conn.execute("SELECT count(*) FROM card WHERE archived = 0").fetchone()[0]
    finally:
        conn.close()


def _proc_wall(argv: list[str], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=bytecode_env())
        times.append(time.perf_counter() - t0)
    return median(times)


def measure_floors(md_path: str | os.PathLike[str], *, work_dir: str | None = None) -> dict[str, Any]:
    """(1c) Physical floors to set the figures beside: ``python -c pass`` and
    ``python -c 'import textual.app'`` as whole processes (medians of 3), and
    ``floor_sqlite_s``: the same card and card_state rows the first import writes,
    inserted with plain ``sqlite3`` into a new database made from ``schema.sql`` (WAL,
    ``synchronous=FULL`` as the store, a page cache
    big enough for every page) in one transaction with its durable commit. The
    rows are built from the parsed deck before the clock starts; no hashing, matching or
    parsing is timed. (markdown-it-py's own parse is ``mdit_commonmark_s`` of ``import``.)"""
    import sqlite3
    from importlib.resources import files

    from studyllm.decks.parser import parse_file

    exe = sys.executable
    out = {"floor_python_s": _proc_wall([exe, "-c", "pass"]),
           "floor_textual_s": _proc_wall([exe, "-c", "import textual.app"])}
    parsed = parse_file(Path(md_path), max_bytes=MAX_DECK_MB * 1024 * 1024)
    now = "2026-01-05T12:00:00+00:00"
    rows = [(i + 1, f"uid{i:08d}", 1, c.kind, c.variant, c.front, c.back, "{}", json.dumps(list(c.heading_path)),
             "[]", c.line, i, f"{i:064x}", f"{i:064x}", now, now) for i, c in enumerate(parsed.cards)]
    states = [(i + 1, 1, i) for i in range(len(rows))]
    ddl = files("studyllm.store").joinpath("schema.sql").read_text(encoding="utf-8")
    with _workdir(work_dir) as d:
        conn = sqlite3.connect(d / "floor.db", isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA cache_size = -262144")  # 256 MB: the indexes' pages stay in memory
            conn.executescript(ddl)
            conn.execute("INSERT INTO deck (id, key, title, source_path, content_hash, tags, options, mode,"
                         " updated_at, position, archived, created_at) VALUES (1,'k','t','p','h','[]','{}',"
                         "'cards',?,0,0,?)", (now, now))
            t0 = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO card (id, uid, deck_id, kind, variant, front, back, extra, heading_path, tags, line,"
                " position, content_hash, norm_hash, created_at, updated_at, archived)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)", rows)
            conn.executemany(
                "INSERT INTO card_state (card_id, deck_id, position, queue, repetitions, ef_centi, interval,"
                " reviews, lapses, suspended, leech) VALUES (?,?,?,0,0,250,0,0,0,0,0)", states)
            conn.execute("COMMIT")
            out["floor_sqlite_s"] = time.perf_counter() - t0
        finally:
            conn.close()
    return out


def _db_size(home: Path) -> int:
    from studyllm.paths import db_path

    return file_size(db_path(home))


# --------------------------------------------------------------------------- (2) re-import


def measure_reimport(
    md_path: str | os.PathLike[str],
    edited_md_path: str | os.PathLike[str],
    *,
    work_dir: str | None = None,
) -> dict[str, Any]:
    """(2) After a first import: the same file again (skipped by its content hash), then
    the file with 10 answers edited written over it (parsed and matched card by card),
    then (extra) a forced re-import of that unchanged file, which parses and matches every
    card like Anki's re-import does."""
    md_path, edited = Path(md_path), Path(edited_md_path)
    with _workdir(work_dir) as d:
        store = _imported_store(d, md_path, limits=False)
        deck = d / DECK_FILE
        try:
            n_before = _live_cards(store)
            same, same_s = _import(store, deck)
            shutil.copyfile(edited, deck)
            edit, edit_s = _import(store, deck)
            n_after = _live_cards(store)
            forced, forced_s = _import(store, deck, force=True)
            with store.database.connect() as conn:
                total_rows = conn.execute("SELECT count(*) FROM card").fetchone()[0]
        finally:
            store.close()
    s, e, f = same.decks[0], edit.decks[0], forced.decks[0]
    return {
        "reimport_unchanged_s": same_s,
        "reimport_edited_s": edit_s,
        "reimport_forced_s": forced_s,
        "unchanged_skipped": s.skipped,
        "unchanged_updated": s.updated,
        "unchanged_new": s.new,
        "edited_updated": e.updated,
        "edited_new": e.new,
        "edited_archived": e.archived,
        "forced_updated": f.updated,
        "notes_before": n_before,
        "notes_after": n_after,
        "card_rows_after": total_rows,
    }


# --------------------------------------------------------------------------- (3) study


def measure_study(
    md_path: str | os.PathLike[str],
    *,
    n_answers: int = 2000,
    seed: int = 7,
    work_dir: str | None = None,
) -> dict[str, Any]:
    """(3) ``n_answers`` answers with the seeded grade mix on the freshly imported deck.
    ``per_answer_*`` = ``next_card`` + ``answer`` (committed); ``fetch_*`` and ``answer_*``
    split it."""
    grades = grade_sequence(n_answers, seed)
    with _workdir(work_dir) as d:
        store = _fresh_store(d, Path(md_path))
        try:
            with Timer() as t:
                loop = _answer_loop(store, grades)
        finally:
            store.close()
    out: dict[str, Any] = {"answers": len(loop["per_answer"]), "session_s": t.seconds}
    out.update(latency_summary(loop["per_answer"], "per_answer_"))
    out.update({k: v for k, v in latency_summary(loop["fetch"], "fetch_").items() if "median" in k or "p95" in k})
    out.update({k: v for k, v in latency_summary(loop["answer"], "answer_").items() if "median" in k or "p95" in k})
    return out


# --------------------------------------------------------------------------- (3b) the TUI, with Pilot


_KEY_CHARS = {"space": " "}


def _post_key(app, key: str) -> None:
    """Send one key through the driver, as the terminal driver does for a real keypress
    (what ``Pilot.press`` does, without its idle waits of 20 ms and more)."""
    from textual import events

    event = events.Key(key, _KEY_CHARS.get(key, key if len(key) == 1 else None))
    event.set_sender(app)
    app._driver.send_message(event)


async def _tui_session(store, grades: list[str], size: tuple[int, int], think: float = 0.0) -> dict[str, list[float]]:
    from studyllm.ui.app import build_app
    from studyllm.ui.screens.study import StudyScreen

    app = build_app(store)
    key_to_card: list[float] = []
    reveal: list[float] = []
    key_to_card_cpu: list[float] = []
    reveal_cpu: list[float] = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("s")  # home: study everything due
        for _ in range(200):
            if isinstance(app.screen, StudyScreen) and app.screen.card is not None:
                break
            await pilot.pause(0.01)
        screen = app.screen
        if not isinstance(screen, StudyScreen) or screen.card is None:
            raise RuntimeError("the study screen did not open with a card")
        await pilot.pause()

        # Record every frame the app hands to the terminal. The headless driver drops the
        # frame; render its escape sequences anyway so that cost is counted too.
        state: dict[str, Any] = {"pred": None, "event": None, "t": 0.0}
        original = app._display

        def display(scr, renderable):
            original(scr, renderable)
            if renderable is not None and app.is_headless and hasattr(renderable, "render_segments"):
                renderable.render_segments(app.console)
            pred = state["pred"]
            if pred is not None and pred():
                state["t"] = time.perf_counter()
                state["cpu"] = time.process_time()
                state["pred"] = None
                state["event"].set()

        app._display = display

        async def timed(key: str, pred, cpu: list[float]) -> float:
            state["event"] = asyncio.Event()
            state["pred"] = pred
            c0 = time.process_time()
            t0 = time.perf_counter()
            _post_key(app, key)
            await asyncio.wait_for(state["event"].wait(), timeout=30)
            cpu.append(state["cpu"] - c0)
            return state["t"] - t0

        pane = screen.query_one("#card-pane")
        for grade in grades:
            card = screen.card
            if card is None:
                break
            if think:
                await asyncio.sleep(think)
            reveal.append(await timed("space", lambda: screen.revealed and pane.revealed, reveal_cpu))
            old = card.id
            if think:
                await asyncio.sleep(think)
            key_to_card.append(
                await timed(
                    str(GRADES[grade]),
                    lambda old=old: screen.card is None or (screen.card.id != old and not screen.revealed),
                    key_to_card_cpu,
                )
            )
        app._display = original
    return {"key_to_card": key_to_card, "reveal": reveal, "key_to_card_cpu": key_to_card_cpu, "reveal_cpu": reveal_cpu}


# Time between a frame and the next key in the main TUI figures: faster than anyone reads
# a card and answers (simple visual reaction times are about 200 ms), and longer than one
# frame, so the key meets an idle screen as a real keypress does.
TUI_THINK_S = 0.05


def measure_tui(
    md_path: str | os.PathLike[str],
    *,
    n_answers: int = 300,
    seed: int = 7,
    size: tuple[int, int] = (120, 40),
    work_dir: str | None = None,
    think: float = TUI_THINK_S,
) -> dict[str, Any]:
    """(3b) Keypress to rendered card through the real Textual app (``build_app``) driven
    headless (``run_test``). For each answer: Space (reveal) and the grade key; the time
    runs from the key event entering the app's queue to the end of the first frame that
    shows the new state (the grade's frame shows the next card, so it includes the
    durable commit, the queue query, Rich Markdown rendering and the compositor).

    Each key comes ``think`` seconds after the previous frame (``TUI_THINK_S``). The same
    session is then run again with keys sent back to back (``tui_rapid_*``): a key that
    arrives within a frame of the last one waits for Textual's next frame (screen updates
    are batched at up to 60 per second), so those figures show the frame clock."""
    grades = grade_sequence(n_answers, seed)
    out: dict[str, Any] = {}
    for prefix, pause in (("tui_", think), ("tui_rapid_", 0.0)):
        with _workdir(work_dir) as d:
            store = _fresh_store(d, Path(md_path))
            try:
                loop = asyncio.run(_tui_session(store, grades, size, pause))
            finally:
                store.close()
        out[f"{prefix}answers"] = len(loop["key_to_card"])
        out.update(latency_summary(loop["key_to_card"], f"{prefix}key_to_card_"))
        out.update(latency_summary(loop["reveal"], f"{prefix}reveal_"))
        # CPU time of the process over the same span: what the app itself spends, whatever
        # the machine's load (it leaves out waiting: the fsync of the commit, and other
        # processes).
        out.update(latency_summary(loop["key_to_card_cpu"], f"{prefix}key_to_card_cpu_"))
        out.update(latency_summary(loop["reveal_cpu"], f"{prefix}reveal_cpu_"))
    out["tui_think_ms"] = think * 1000
    return out


def measure_tui_bench(
    md_path: str | os.PathLike[str],
    *,
    n_answers: int = 100,
    work_dir: str | None = None,
) -> dict[str, Any]:
    """(3c) The TUI engineer's own method (``bench_tui.grade_latency``: grade key posted to
    the app, timed to the ``call_after_refresh`` after the next card is shown), run on
    this deck's freshly imported store, as a cross-check of :func:`measure_tui`."""
    import bench_tui

    with _workdir(work_dir) as d:
        store = _fresh_store(d, Path(md_path))
        store.close()
        r = asyncio.run(bench_tui.grade_latency(d / HOME, n_answers))
    return {
        "tui_bench_answers": r["n"],
        "tui_bench_median_ms": r["p50_ms"],
        "tui_bench_p95_ms": r["p95_ms"],
        "tui_bench_max_ms": r["max_ms"],
    }


# --------------------------------------------------------------------------- (4) 30 days


def measure_days(
    md_path: str | os.PathLike[str],
    *,
    days: int = 30,
    per_day: int = 500,
    seed: int = 11,
    work_dir: str | None = None,
) -> dict[str, Any]:
    """(4) ``days`` simulated days on a ``FrozenClock``: each day answer what is due, at
    most ``per_day`` answers, then move the clock a day forward. The clock stays at noon
    within a day, so a weak answer's drill (due 10 minutes later) is shown once the
    day's other cards run out."""
    from studyllm.clock import FrozenClock

    grades = grade_sequence(days * per_day, seed)
    clock = FrozenClock(SIM_START, "UTC")
    per_day_counts: list[int] = []
    with _workdir(work_dir) as d:
        store = _fresh_store(d, Path(md_path), clock=clock)
        try:
            t_start = time.perf_counter()
            for day in range(days):
                loop = _answer_loop(store, grades[day * per_day : (day + 1) * per_day])
                per_day_counts.append(len(loop["per_answer"]))
                if day < days - 1:
                    clock.advance(days=1)
            total_s = time.perf_counter() - t_start
            with store.database.connect() as conn:
                rows = conn.execute("SELECT count(*) FROM review_log").fetchone()[0]
                review_rows = conn.execute(
                    "SELECT count(*) FROM review_log WHERE kind IN ('review', 'relearn')"
                ).fetchone()[0]
        finally:
            store.close()
        db_bytes = _db_size(d / HOME)
    return {
        "days_total_s": total_s,
        "days_answer_s": total_s,
        "days_answers": sum(per_day_counts),
        "days_min_answers_per_day": min(per_day_counts),
        "days_revlog_rows": rows,
        "days_review_answers": review_rows,
        "days_db_bytes": db_bytes,
    }


# --------------------------------------------------------------------------- (5) cold start

_COLD_CHILD = r"""
import sys, time, json
t0 = time.perf_counter()
from pathlib import Path
from studyllm.store import Store
t1 = time.perf_counter()
store = Store.open(Path(sys.argv[1]))
t2 = time.perf_counter()
card = store.next_card()
t3 = time.perf_counter()
store.close()
import resource
print(json.dumps({"cold_import_s": t1 - t0, "cold_open_s": t2 - t1, "cold_first_card_s": t3 - t2,
                  "cold_total_s": t3 - t0, "cold_question_chars": len(card.front),
                  "cold_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure_cold_start(
    md_path: str | os.PathLike[str],
    *,
    runs: int = 1,
    work_dir: str | None = None,
) -> dict[str, Any]:
    """(5) A fresh Python process imports ``studyllm.store``, opens the store and gets the
    first due card (``Store.open`` + ``next_card``). The child times itself; the parent
    times the whole process (``cold_proc_wall_s``). Warm OS file cache, as on Anki's side."""
    with _workdir(work_dir) as d:
        store = _fresh_store(d, Path(md_path))
        store.close()
        results = []
        for _ in range(runs):
            r = run_in_subprocess(_COLD_CHILD, [str(d / HOME)])
            r["cold_proc_wall_s"] = r.pop("proc_wall_s")
            r["cold_proc_peak_rss_mb"] = r.pop("proc_peak_rss_mb")
            results.append(r)
    return median_of_runs(results)


def _studyllm_command() -> str:
    exe = Path(sys.executable).with_name("studyllm")
    return str(exe) if exe.exists() else (shutil.which("studyllm") or "studyllm")


def _probe_phrase(front: str) -> str:
    """A run of plain words from the card's front that the terminal shows verbatim (Rich
    Markdown drops the backticks and the like, and may wrap the line)."""
    runs = re.findall(r"[A-Za-z][A-Za-z ,'-]{11,}[A-Za-z]", front)
    if not runs:
        raise ValueError(f"no plain phrase to look for in {front!r}")
    best = max(runs, key=len)
    words = best.split()
    phrase = ""
    for w in words:  # at most ~30 characters, whole words
        if len(phrase) + len(w) + 1 > 30 and phrase:
            break
        phrase = f"{phrase} {w}".strip()
    return phrase


def _tmux(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=check)


def _pane_text(target: str) -> str:
    r = _tmux("capture-pane", "-p", "-t", target, check=False)
    return " ".join(r.stdout.split())


def measure_tui_start(
    md_path: str | os.PathLike[str],
    *,
    runs: int = 3,
    timeout: float = 60.0,
    size: tuple[int, int] = (160, 45),
    work_dir: str | None = None,
) -> dict[str, Any]:
    """(5b) Time to the first card on screen: ``studyllm --home H`` in a tmux pane (a real
    terminal), ``s`` sent once the home screen shows the deck, then ``capture-pane`` is
    polled until the first card's text appears. Wall time from process start; the
    shipped decks were synced into the store beforehand so start-up only checks hashes.

    The first start of a day also makes the daily backup of the database (``cli.cmd_tui``
    calls ``auto_backup``): run 1 is that start (``tui_start_home_s``,
    ``tui_start_first_card_s``); runs 2.. are later starts the same day
    (``tui_start_warm_home_s``, ``tui_start_warm_first_card_s``, medians; ``tui_start_warm_cpu_s``:
    the CPU time, user + system, the process had used when its first card showed)."""
    if shutil.which("tmux") is None:
        return {}
    exe = _studyllm_command()
    results: list[dict[str, Any]] = []
    with _workdir(work_dir) as d:
        store = _fresh_store(d, Path(md_path))
        first = store.next_card()
        title = first.deck_title if first else ""
        store.close()
        home = d / HOME
        # first run syncs the shipped decks (a one-off): do it outside the clock
        subprocess.run([exe, "--home", str(home), "due"], capture_output=True, check=True, env=bytecode_env())
        phrase = _probe_phrase(first.front)
        home_marker = " ".join(title.split())[:20] or "Decks"
        for i in range(runs):
            name = f"slbench{os.getpid()}x{i}x{time.monotonic_ns()}"  # never a name still closing
            t0 = time.perf_counter()
            _tmux("new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]),
                  f"exec env -u PYTHONDONTWRITEBYTECODE {exe} --home {home}")  # see common.bytecode_env
            try:
                t_home = t_card = None
                deadline = t0 + timeout
                while time.perf_counter() < deadline:
                    if home_marker in _pane_text(name):
                        t_home = time.perf_counter() - t0
                        break
                    time.sleep(0.002)
                if t_home is None:
                    raise RuntimeError(f"home screen never showed {home_marker!r}: {_pane_text(name)[:500]}")
                _tmux("send-keys", "-t", name, "s")
                pid = _tmux("display-message", "-p", "-t", name, "#{pane_pid}").stdout.strip()
                while time.perf_counter() < deadline:
                    if phrase in _pane_text(name):
                        t_card = time.perf_counter() - t0
                        cpu = _cpu_s(pid)
                        break
                    time.sleep(0.002)
                if t_card is None:
                    raise RuntimeError(f"first card never showed {phrase!r}: {_pane_text(name)[:500]}")
                results.append({"home": t_home, "card": t_card, "cpu": cpu})
            finally:
                _tmux("send-keys", "-t", name, "C-q", check=False)
                for _ in range(100):  # let it close the database before the next start
                    if _tmux("has-session", "-t", name, check=False).returncode != 0:
                        break
                    time.sleep(0.05)
                _tmux("kill-session", "-t", name, check=False)
    if not results:
        return {}
    out = {"tui_start_home_s": results[0]["home"], "tui_start_first_card_s": results[0]["card"]}
    if len(results) > 1:
        out["tui_start_warm_home_s"] = median(r["home"] for r in results[1:])
        out["tui_start_warm_first_card_s"] = median(r["card"] for r in results[1:])
        out["tui_start_warm_cpu_s"] = median(r["cpu"] for r in results[1:])
    return out


def _cpu_s(pid: str) -> float:
    """User + system CPU time a process has used so far (``/proc/PID/stat``), in seconds:
    the studyllm process in the pane (the pane's command ``exec``s it) when its first card shows."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


# --------------------------------------------------------------------------- (6) RSS and size


def measure_rss(
    md_path: str | os.PathLike[str],
    *,
    n_answers: int = 2000,
    seed: int = 7,
    work_dir: str | None = None,
) -> dict[str, Any]:
    """(6) Peak RSS (kernel, ``wait4``) of a fresh process that imports the deck into a
    new store and studies ``n_answers`` cards; the database's size after closing (file
    plus any -wal)."""
    with _workdir(work_dir) as d:
        r = run_in_subprocess(
            Path(__file__).resolve().as_posix(),
            ["--child-rss", str(Path(md_path).resolve()), str(d), str(n_answers), str(seed)],
        )
    return {
        # VmHWM is this process's own peak; the kernel's ru_maxrss (wait4) also counts the
        # parent's resident memory at the moment the child was spawned (vfork + exec), so
        # it is only right when the parent is small (run.py calls this from a lean process).
        "peak_rss_mb": r.get("peak_rss_hwm_mb") or r["proc_peak_rss_mb"],
        "peak_rss_wait4_mb": r["proc_peak_rss_mb"],
        "rss_after_import_studyllm_mb": r["rss_after_import_studyllm_mb"],
        "rss_after_deck_import_mb": r["rss_after_deck_import_mb"],
        "db_bytes": r["db_bytes"],
        "rss_answers": r["answers"],
    }


def _vm_hwm_mb() -> float | None:
    """This process's peak resident set (VmHWM), in MB; None where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _child_rss(md: str, work: str, n_answers: str, seed: str) -> None:
    import studyllm.store
    import studyllm.store.importer  # noqa: F401

    base = _vm_hwm_mb() or peak_rss_self_mb()
    d = Path(work)
    store = _imported_store(d, Path(md))
    after_import = _vm_hwm_mb() or peak_rss_self_mb()
    loop = _answer_loop(store, grade_sequence(int(n_answers), int(seed)))
    store.close()
    emit_json(
        {
            "peak_rss_hwm_mb": _vm_hwm_mb(),
            "rss_after_import_studyllm_mb": base,
            "rss_after_deck_import_mb": after_import,
            "peak_rss_self_mb": peak_rss_self_mb(),
            "db_bytes": _db_size(d / HOME),
            "answers": len(loop["per_answer"]),
        }
    )


# --------------------------------------------------------------------------- all


def measure_all(
    md_path: str | os.PathLike[str],
    edited_md_path: str | os.PathLike[str],
    *,
    tui_answers: int = 300,
    work_dir: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out.update(measure_import(md_path, work_dir=work_dir))
    out.update(measure_reimport(md_path, edited_md_path, work_dir=work_dir))
    out.update(measure_study(md_path, work_dir=work_dir))
    out.update(measure_tui(md_path, n_answers=tui_answers, work_dir=work_dir))
    out.update(measure_days(md_path, work_dir=work_dir))
    out.update(measure_cold_start(md_path, work_dir=work_dir))
    out.update(measure_tui_start(md_path, work_dir=work_dir))
    out.update(measure_rss(md_path, work_dir=work_dir))
    return out


# --------------------------------------------------------------------------- command line

TABLE_COLUMNS = [
    ("import_s", "import s"),
    ("parse_s", "parse s"),
    ("mdit_commonmark_s", "markdown-it s"),
    ("reimport_unchanged_s", "re-import same s"),
    ("reimport_edited_s", "re-import 10 edited s"),
    ("per_answer_median_ms", "answer median ms"),
    ("per_answer_p95_ms", "answer p95 ms"),
    ("tui_key_to_card_p95_ms", "key→card p95 ms"),
    ("days_total_s", "30 days s"),
    ("cold_total_s", "cold start s"),
    ("tui_start_first_card_s", "first card on screen s"),
    ("peak_rss_mb", "peak RSS MB"),
    ("db_bytes", "DB MiB"),
]




def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child-rss":
        _child_rss(*argv[1:5])
        return 0
    import gen_decks

    ap = argparse.ArgumentParser(description="Measure studyllm on the benchmark decks.")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1, help="deck seed")
    ap.add_argument("--out", type=Path, default=gen_decks.OUT_DIR)
    ap.add_argument("--work-dir", default=None)
    ap.add_argument("--tui-answers", type=int, default=300)
    ap.add_argument("--only", nargs="+", default=None, help="run only these measure_* functions (e.g. import study)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    print(f"studyllm {studyllm_version()}, Python {sys.version.split()[0]}")
    medians: dict[int, dict[str, Any]] = {}
    all_runs: dict[int, list[dict[str, Any]]] = {}
    for n in args.sizes:
        md, _tsv, edited_md, _ = deck_paths(n, args.seed, args.out)
        runs = []
        for i in range(args.runs):
            t0 = time.perf_counter()
            if args.only:
                r: dict[str, Any] = {}
                for name in args.only:
                    name = {"cold": "cold_start"}.get(name, name)
                    fn = globals()[f"measure_{name}"]
                    if name == "reimport":
                        r.update(fn(md, edited_md, work_dir=args.work_dir))
                    elif name == "tui":
                        r.update(fn(md, n_answers=args.tui_answers, work_dir=args.work_dir))
                    else:
                        r.update(fn(md, work_dir=args.work_dir))
            else:
                r = measure_all(md, edited_md, tui_answers=args.tui_answers, work_dir=args.work_dir)
            runs.append(r)
            print(f"  {n:>7,} cards, run {i + 1}/{args.runs}: {time.perf_counter() - t0:.1f} s", flush=True)
        all_runs[n] = runs
        medians[n] = median_of_runs(runs)
    print()
    print(summary_table(medians, TABLE_COLUMNS))
    for n, r in sorted(medians.items()):
        print(n, json.dumps(r, default=str))
    if args.json:
        doc = {"studyllm": studyllm_version(), "medians": medians, "runs": all_runs}
        args.json.write_text(json.dumps(doc, indent=2))
    return 0


def deck_paths(n: int, seed: int, out: Path) -> tuple[Path, Path, Path, Path]:
    """The deck files for ``n`` cards (generated if missing): md, tsv, edited md, edited tsv."""
    import gen_decks

    key = gen_decks.deck_key(n, seed)
    md, tsv = out / f"{key}.md", out / f"{key}.tsv"
    if not (md.exists() and tsv.exists()):
        md, tsv = gen_decks.generate(n, seed, out)
    emd, etsv = md.with_name(f"{md.stem}-edited10.md"), tsv.with_name(f"{tsv.stem}-edited10.tsv")
    if not (emd.exists() and etsv.exists()):
        emd, etsv = gen_decks.edit_some(md, tsv, n=10)
    return md, tsv, emd, etsv


if __name__ == "__main__":
    sys.exit(main())
