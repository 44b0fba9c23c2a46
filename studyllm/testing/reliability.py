"""Child processes and checks for the crash and concurrency tests and long runs (no tests in here).

Used by ``tests/test_reliability_crash.py``, ``tests/test_reliability_concurrency.py``,
``benchmarks/crash_rounds.py`` and ``benchmarks/concurrency_long.py``. Run as a module, it is a
small studyllm client that works through the Store API and prints a line after each operation
*returns*, flushed to a file:

    python -m studyllm.testing.reliability answer HOME SEED [DECK_KEY]
        ACK <log uid>       after Store.answer() returned (the answer is acknowledged)
        UNDO <log uid>      before Store.undo() is called on our own latest answer
        UNDONE <log uid>    after it returned
    python -m studyllm.testing.reliability import HOME FIRST_VERSION [DECK_KEY]
        IMPORTED <version>  after import_parsed() of that version of a big deck returned

The parent kills it with SIGKILL at a random moment and then checks the database with
:func:`check_answers` / :func:`db_version`.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studyllm.decks.model import ParsedDeck

# the checkout (or site-packages folder) this module is in: children run from it, so
# ``python -m`` imports this same tree even when it is not the installed one
ROOT = Path(__file__).resolve().parents[2]

IMPORT_DECK_KEY = "bulk"
IMPORT_DECK_CARDS = 1000


# ----------------------------------------------------------------------------- deck data
def deck_version(version: int, key: str = IMPORT_DECK_KEY, n: int = IMPORT_DECK_CARDS) -> ParsedDeck:
    """Version ``version`` of a big deck: a quarter of the cards reworded per version, and
    the last card present only in even versions (so imports update, archive and restore)."""
    from studyllm.decks.model import ParsedCard, ParsedDeck

    cards = [
        ParsedCard(
            "basic",
            expected_front(i, version),
            f"Answer {i}: the attention layer mixes tokens.",
            heading_path=("Part", f"Section {i}"),
            line=1 + 3 * i,
        )
        for i in range(n)
        if i < n - 1 or version % 2 == 0
    ]
    return ParsedDeck(path=f"{key}.md", key=key, title=key.title(), cards=cards, content_hash=f"version-{version}")


def expected_front(i: int, version: int) -> str:
    text = f"Question {i}: what does the attention layer in block {i} compute?"
    if i % 4 == version % 4:
        text += f" (edition {version})"
    return text


def expected_fronts(version: int, key: str = IMPORT_DECK_KEY, n: int = IMPORT_DECK_CARDS) -> set[str]:
    return {c.front for c in deck_version(version, key, n).cards}


def study_deck(key: str, n: int) -> ParsedDeck:
    from studyllm.decks.model import ParsedCard, ParsedDeck

    cards = [
        ParsedCard("basic", f"{key}: what is fact {i} about tokenizers?", f"Fact {i}.", heading_path=(f"H{i}",),
                   line=1 + 2 * i)
        for i in range(n)
    ]
    return ParsedDeck(path=f"{key}.md", key=key, title=key.title(), cards=cards, content_hash=f"{key}-{n}")


def setup_home(home: Path, decks: dict[str, int]) -> None:
    """A database in ``home`` with one study deck per key (``{key: n_cards}``) and no daily limits."""
    from studyllm.store import Store
    from studyllm.store.importer import import_parsed

    with Store.open(home) as store:
        store.set_setting("new_per_day", 10_000)
        store.set_setting("reviews_per_day", 100_000)
        for key, n in decks.items():
            report = import_parsed(store, study_deck(key, n), source_path=f"/nonexistent/{key}.md")
            assert report.ok, report.errors


# ----------------------------------------------------------------------------- children
def run_answer(home: Path, seed: int, deck_key: str | None) -> None:
    from studyllm.store import Store

    rng = random.Random(seed)
    store = Store.open(home)
    deck_id = store.deck_id(deck_key) if deck_key else None
    mine: list[str] = []  # our own answers, newest last: undo takes back the newest answer overall
    print("READY", flush=True)
    while True:
        card = store.next_card(deck_id)
        if card is None:
            print("DONE", flush=True)
            return
        if mine and deck_key is None and rng.random() < 0.1:
            uid = mine.pop()
            print(f"UNDO {uid}", flush=True)
            store.undo()
            print(f"UNDONE {uid}", flush=True)
            continue
        result = store.answer(card.id, rng.choice((1, 3, 4, 5, 5)), duration_ms=rng.randrange(5000))
        mine.append(result.log_uid)
        print(f"ACK {result.log_uid}", flush=True)


def run_import(home: Path, first: int, key: str, rounds: int | None) -> None:
    from studyllm.store import Store
    from studyllm.store.importer import import_parsed

    store = Store.open(home)
    print("READY", flush=True)
    version = first
    while rounds is None or version < first + rounds:
        report = import_parsed(store, deck_version(version, key), source_path=f"/nonexistent/{key}.md")
        if not report.ok:
            raise SystemExit(f"import failed: {report.errors}")
        print(f"IMPORTED {version}", flush=True)
        version += 1
    print("DONE", flush=True)


# ----------------------------------------------------------------------------- parent side
def python() -> str:
    return sys.executable


def spawn(args: list[str], out: Path, err: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONWARNINGS="ignore")
    return subprocess.Popen([python(), "-m", "studyllm.testing.reliability", *args], stdout=out.open("w"),
                            stderr=err.open("w"), env=env, cwd=str(ROOT))


def wait_for_line(path: Path, word: str, proc: subprocess.Popen, timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if word in path.read_text():
            return True
        if proc.poll() is not None:
            return word in path.read_text()
        time.sleep(0.01)
    return False


def kill9(proc: subprocess.Popen) -> None:
    try:
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def lines(path: Path) -> list[list[str]]:
    # a line cut off by the kill has no newline yet and is ignored
    text = path.read_text()
    complete = text[: text.rfind("\n") + 1] if "\n" in text else ""
    return [ln.split() for ln in complete.splitlines() if ln.strip()]


@contextmanager
def _connect(db: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection to a home's database, from outside studyllm (closed after)."""
    conn = sqlite3.connect(db, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def _rows(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
    with _connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def _count(db: Path, sql: str, params: tuple[object, ...] = ()) -> int:
    return int(_rows(db, sql, params)[0][0])


def integrity(db: Path) -> str:
    return "; ".join(r[0] for r in _rows(db, "PRAGMA integrity_check"))


def log_uids(db: Path) -> set[str]:
    return {r[0] for r in _rows(db, "SELECT uid FROM review_log")}


def deck_log_uids(db: Path, keys: tuple[str, ...]) -> set[str]:
    """The log uids of the answers to cards of these decks."""
    marks = ",".join("?" * len(keys))
    return {r[0] for r in _rows(
        db, f"SELECT l.uid FROM review_log l JOIN card c ON c.id = l.card_id JOIN deck d ON d.id = c.deck_id"
            f" WHERE d.key IN ({marks})", keys)}


def state_mismatches(db: Path) -> int:
    """Cards whose review count disagrees with their log rows: an answer half-written."""
    return _count(db, "SELECT count(*) FROM card_state s WHERE s.reviews <>"
                      " (SELECT count(*) FROM review_log l WHERE l.card_id = s.card_id)")


def graded_twice(db: Path) -> int:
    """Cards graded by SM-2 more than once on one study day: an accidental second answer
    (same-day drills are logged as kind 'drill' and don't count)."""
    return _count(db, "SELECT count(*) FROM (SELECT card_id, day FROM review_log WHERE kind <> 'drill'"
                      " GROUP BY card_id, day HAVING count(*) > 1)")


def orphan_states(db: Path) -> int:
    """Cards with no state row, plus cards whose archived flag and queue disagree."""
    return _count(db, "SELECT (SELECT count(*) FROM card c LEFT JOIN card_state s ON s.card_id = c.id"
                      "         WHERE s.card_id IS NULL)"
                      " + (SELECT count(*) FROM card c JOIN card_state s ON s.card_id = c.id"
                      "    WHERE (c.archived = 1) <> (s.queue = -2))")


@dataclass
class AnswerRound:
    acked: int = 0
    lost: list[str] = field(default_factory=list)  # acknowledged, not in the database
    resurrected: list[str] = field(default_factory=list)  # undone, yet still in the database
    unacked_extra: int = 0  # in the database but not acknowledged (the one in flight: 0 or 1)
    integrity: str = ""
    mismatches: int = 0
    done: bool = False  # the child finished the queue before the kill

    @property
    def ok(self) -> bool:
        return (
            not self.lost and not self.resurrected and self.unacked_extra <= 1
            and self.integrity == "ok" and self.mismatches == 0
        )


def check_answers(db: Path, before: set[str], out: Path) -> AnswerRound:
    acked, undo_started, undone = set(), set(), set()
    done = False
    for parts in lines(out):
        if parts[0] == "ACK":
            acked.add(parts[1])
        elif parts[0] == "UNDO":
            undo_started.add(parts[1])
        elif parts[0] == "UNDONE":
            undone.add(parts[1])
        elif parts[0] == "DONE":
            done = True
    result = AnswerRound(acked=len(acked), done=done)
    result.integrity = integrity(db)
    now = log_uids(db)
    result.lost = sorted((acked - undo_started) - now)
    result.resurrected = sorted(undone & now)
    result.unacked_extra = len((now - before) - acked)
    result.mismatches = state_mismatches(db)
    return result


def answer_round(home: Path, rng: random.Random, work: Path, *, max_delay: float = 0.6,
                 wait_first: bool = False) -> AnswerRound:
    """Start an answering child, SIGKILL it at a random moment (sometimes while it is still
    opening the database), and check what survived. ``wait_first``: only start the random
    delay once a first answer was acknowledged (so a slow machine still tests something)."""
    db = home / "studyllm.db"
    before = log_uids(db)
    out, err = work / "answer.out", work / "answer.err"
    proc = spawn(["answer", str(home), str(rng.randrange(1 << 30))], out, err)
    if not wait_first and rng.random() < 0.15:
        time.sleep(rng.uniform(0.0, 1.0))  # may land during start-up / Store.open
    else:
        if not wait_for_line(out, "ACK" if wait_first else "READY", proc):
            kill9(proc)
            raise AssertionError(f"driver did not start: {err.read_text()[-2000:]}")
        time.sleep(rng.uniform(0.0, max_delay))
    kill9(proc)
    stderr = err.read_text()
    if "Traceback" in stderr:
        raise AssertionError(f"driver crashed by itself: {stderr[-2000:]}")
    return check_answers(db, before, out)


@dataclass
class ImportRound:
    committed: int | None = None  # last version acknowledged
    found: int | None = None  # version in the database afterwards
    fronts_match: bool = False
    integrity: str = ""
    orphans: int = 0

    @property
    def ok(self) -> bool:
        allowed = {self.committed, (self.committed or 0) + 1} if self.committed is not None else None
        return self.fronts_match and self.integrity == "ok" and self.orphans == 0 and (
            allowed is None or self.found in allowed
        )


def db_version(db: Path, key: str = IMPORT_DECK_KEY) -> tuple[int | None, set[str], int]:
    rows = _rows(db, "SELECT id, content_hash FROM deck WHERE key = ?", (key,))
    if not rows:
        return None, set(), 0
    deck_id, content_hash = rows[0]
    fronts = {r[0] for r in _rows(db, "SELECT front FROM card WHERE deck_id = ? AND archived = 0", (deck_id,))}
    return int(content_hash.split("-")[1]), fronts, orphan_states(db)


def import_round(home: Path, rng: random.Random, work: Path, first: int, *, max_delay: float = 1.0,
                 wait_first: bool = False) -> ImportRound:
    """Start an importing child that re-imports new versions of a big deck, SIGKILL it,
    and check the deck in the database is exactly one whole version. ``wait_first``: start
    the random delay only after a first version was committed."""
    db = home / "studyllm.db"
    out, err = work / "import.out", work / "import.err"
    proc = spawn(["import", str(home), str(first)], out, err)
    if not wait_for_line(out, "IMPORTED" if wait_first else "READY", proc, timeout=120):
        kill9(proc)
        raise AssertionError(f"import driver did not start: {err.read_text()[-2000:]}")
    time.sleep(rng.uniform(0.05, max_delay))
    kill9(proc)
    stderr = err.read_text()
    if "Traceback" in stderr:
        raise AssertionError(f"import driver crashed by itself: {stderr[-2000:]}")
    versions = [int(p[1]) for p in lines(out) if p[0] == "IMPORTED"]
    result = ImportRound(committed=versions[-1] if versions else None)
    result.integrity = integrity(db)
    found, fronts, result.orphans = db_version(db)
    result.found = found
    result.fronts_match = found is not None and fronts == expected_fronts(found)
    if versions == [] and found is not None and found not in (first - 1, first):
        result.fronts_match = False
    return result


# ----------------------------------------------------------------------------- real CLI rounds
def cli_killed(args: list[str], out: Path, err: Path, rng: random.Random, delay: tuple[float, float],
               what: str) -> None:
    """Run the real command line with ``args``, SIGKILL it after a random ``delay`` (if it is
    still running) and fail if it had crashed by itself."""
    proc = cli(args, out, err)
    try:
        proc.wait(timeout=rng.uniform(*delay))
    except subprocess.TimeoutExpired:
        pass
    kill9(proc)
    if "Traceback" in err.read_text():
        raise AssertionError(f"{what} crashed by itself: {err.read_text()[-2000:]}")


def cli(args: list[str], out: Path, err: Path) -> subprocess.Popen:
    """``python -m studyllm ARGS`` in a child process (the real command line)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONWARNINGS="ignore")
    return subprocess.Popen([python(), "-m", "studyllm", *args], stdout=out.open("w"), stderr=err.open("w"),
                            env=env, cwd=str(ROOT))


def make_export(path: Path, key: str = "merge", n_cards: int = 600, days: int = 3) -> set[str]:
    """An export from "another machine": a deck of ``n_cards`` answered ``answers`` times each
    over ``days`` days (frozen clock, in memory so it is quick). Returns the review uids in the file."""
    from datetime import datetime

    from studyllm.clock import FrozenClock
    from studyllm.store import Store
    from studyllm.store.export import export_json
    from studyllm.store.importer import import_parsed

    clock = FrozenClock(datetime(2026, 2, 1, 18, 0, tzinfo=UTC), "Europe/Berlin")
    with Store.memory(clock=clock) as store:
        store.set_setting("new_per_day", 10_000)
        store.set_setting("reviews_per_day", 100_000)
        assert import_parsed(store, study_deck(key, n_cards), source_path=f"/nonexistent/{key}.md").ok
        uids = set()
        for _day in range(days):
            while (card := store.next_card()) is not None:
                uids.add(store.answer(card.id, 5 if card.is_drill else 4).log_uid)
            clock.advance(days=1)
        with path.open("w", encoding="utf-8") as fh:
            export_json(store, fh)
    return uids


@dataclass
class MergeRound:
    outcome: str = ""  # "none", "all" or "partial"
    finished: bool = False  # the command printed its report before the kill
    integrity: str = ""
    mismatches: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome in ("none", "all") and self.integrity == "ok" and self.mismatches == 0 and (
            not self.finished or self.outcome == "all"
        )


def merge_round(home: Path, export: Path, expected: set[str], rng: random.Random, work: Path,
                *, delay: tuple[float, float] = (0.5, 3.0)) -> MergeRound:
    """Run ``studyllm import-progress`` and SIGKILL it at a random moment: the file's answers
    must be all in the database or none of them."""
    db = home / "studyllm.db"
    out, err = work / "merge.out", work / "merge.err"
    cli_killed(["--home", str(home), "import-progress", str(export)], out, err, rng, delay, "import-progress")
    result = MergeRound(finished="added" in out.read_text())
    result.integrity = integrity(db)
    present = log_uids(db) & expected
    result.outcome = "none" if not present else "all" if present == expected else "partial"
    result.mismatches = state_mismatches(db)
    return result


def write_markdown_deck(path: Path, version: int, n: int = 3000) -> None:
    """A Markdown deck file of ``n`` Q/A cards; each version rewords every card."""
    parts = [f"# Bulk v{version}\n"]
    for i in range(n):
        parts.append(f"\n## Section {i}\n\nQ: What is fact {i} of edition {version} about tokenizers?\nA: Fact {i}.\n")
    path.write_text("".join(parts), encoding="utf-8")


@dataclass
class CliImportRound:
    outcome: str = ""  # "old", "new" or "mixed"
    finished: bool = False
    integrity: str = ""
    orphans: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome in ("old", "new") and self.integrity == "ok" and self.orphans == 0 and (
            not self.finished or self.outcome == "new"
        )


def cli_import_round(home: Path, deck: Path, version: int, rng: random.Random, work: Path,
                     *, delay: tuple[float, float] = (0.8, 3.0), n: int = 3000) -> CliImportRound:
    """Rewrite ``deck`` as ``version``, run ``studyllm import`` on it and SIGKILL it: the deck
    in the database is then wholly the previous version or wholly the new one."""
    db = home / "studyllm.db"
    before = deck_fronts(db, deck.stem)
    write_markdown_deck(deck, version, n)
    out, err = work / "cliimport.out", work / "cliimport.err"
    cli_killed(["--home", str(home), "import", str(deck)], out, err, rng, delay, "studyllm import")
    result = CliImportRound(finished="file(s):" in out.read_text())
    result.integrity = integrity(db)
    fronts = deck_fronts(db, deck.stem)
    result.orphans = _count(db, "SELECT count(*) FROM card c LEFT JOIN card_state s ON s.card_id = c.id"
                                " WHERE s.card_id IS NULL")
    editions = {f.split("edition ")[1].split(" ")[0] for f in fronts if "edition " in f}
    if len(fronts) == n and editions == {str(version)}:
        result.outcome = "new"
    elif sorted(fronts) == sorted(before):
        result.outcome = "old"
    else:
        result.outcome = f"mixed ({len(fronts)} cards, editions {sorted(editions)[:4]})"
    return result


def deck_fronts(db: Path, key: str) -> list[str]:
    return [r[0] for r in _rows(
        db, "SELECT c.front FROM card c JOIN deck d ON d.id = c.deck_id WHERE c.archived = 0 AND d.key = ?", (key,))]


if __name__ == "__main__":
    mode, home = sys.argv[1], Path(sys.argv[2])
    if mode == "answer":
        run_answer(home, int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
    elif mode == "import":
        run_import(home, int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else IMPORT_DECK_KEY,
                   int(sys.argv[5]) if len(sys.argv) > 5 else None)
    else:
        raise SystemExit(f"unknown mode {mode}")
