"""Take over a hashcards collection's review history (``hashcards.db`` beside its deck files).

hashcards (github: eudoxia0/hashcards) names each card by the BLAKE3 hash of its text and keeps
its answers in ``hashcards.db`` (tables ``cards``, ``sessions``, ``reviews``; grades stored as
``forgot``/``hard``/``good``/``easy``; times as naive local ``%Y-%m-%dT%H:%M:%S%.3f``). Its cards'
hashes are (``CardContent::hash`` in its ``src/types/card.rs``):

* basic (``Q:`` / ``A:``): ``BLAKE3(b"Basic" + question.trim() + answer.trim())``;
* cloze (``C:`` with ``[deletions]``): ``BLAKE3(b"Cloze" + text + start + end)``, ``text`` the
  block without its brackets, ``start``/``end`` the byte offsets of the deletion's first and last
  byte in it, each as an 8-byte little-endian integer.

To find them again, the deck files are read here as hashcards' own parser (``src/parser.rs``) reads
them: the same line states, the same TOML front matter cut, the same bracket rules for images
(``![..]``) and escapes (``\\[``). A hashcards card is then the studyllm card on the same line of
the same file (the ``d1``, ``d2``... cards of a cloze block in order), so only cards whose text
hashcards would hash the same get a history. Each review becomes an answer (Forgot/Hard/Good/Easy
-> grades 2/3/4/5) with uid ``hashcards:<hash>:<review id>``, so importing again adds nothing; the
card's state (interval, due date) is the last review's, unless the card was answered in studyllm
after it. With the ``scheduler`` setting on FSRS the card also takes hashcards' FSRS stability and
difficulty after its last review as its FSRS state (:func:`studyllm.store.migrated.take_fsrs_memory`).

:func:`read_collection` reads and checks everything before anything is written (a missing
``blake3``, a database that is not hashcards' is a :class:`HashcardsError`); :func:`take_history`
writes it after the deck files were imported.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from studyllm.clock import study_day
from studyllm.sm2 import MAX_INTERVAL_DAYS
from studyllm.store import constants as m
from studyllm.store.db import write_tx
from studyllm.store.export_format import MAX_YEAR, MIN_YEAR
from studyllm.store.service import Store

__all__ = ["HASHCARDS_DB", "GRADES", "HashcardsError", "HashcardsReport", "basic_hash", "cloze_hash",
           "parse_hashcards", "read_collection", "take_history", "is_collection"]

HASHCARDS_DB = "hashcards.db"
GRADES = {"forgot": 2, "hard": 3, "good": 4, "easy": 5}
_REVIEW_COLUMNS = {"review_id", "card_hash", "reviewed_at", "grade", "interval_days", "due_date"}
_MAX_FILE = 64 << 20
_USIZE = (1 << 64) - 1
_MAX_STABILITY = 1e6  # days: an FSRS stability past this (or inf, NaN) is not a memory state


class HashcardsError(Exception):
    """The history cannot be read; nothing was changed. The message names the file."""


def _blake3() -> Any:
    try:
        import blake3
    except ModuleNotFoundError:
        raise HashcardsError(
            "reading hashcards' history needs the package 'blake3' (hashcards names its cards by BLAKE3 hashes), "
            "which is not installed: pip install 'studyllm[hashcards]'; nothing imported") from None
    return blake3.blake3


def basic_hash(question: str, answer: str) -> str:
    h = _blake3()()
    for part in (b"Basic", question.strip().encode("utf-8"), answer.strip().encode("utf-8")):
        h.update(part)
    return str(h.hexdigest())


def cloze_hash(text: str, start: int, end: int) -> str:
    h = _blake3()()
    for part in (b"Cloze", text.encode("utf-8"), (start & _USIZE).to_bytes(8, "little"),
                 (end & _USIZE).to_bytes(8, "little")):
        h.update(part)
    return str(h.hexdigest())


@dataclass(frozen=True)
class HcCard:
    line: int  # 1-based line of its Q: or C: in the file
    index: int  # 0 for a basic card; the deletion's order in its cloze block
    cloze: bool
    hash: str
    question: str = ""  # a basic card's question, as hashcards hashes it


class _ParseError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line = line


def _content(text: str) -> tuple[int, str]:
    """hashcards' front matter cut: (number of lines before the content, the content)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip("\r").strip() != "---":
        return 0, text
    for idx in range(1, len(lines)):
        if lines[idx].rstrip("\r").strip() == "---":
            return idx + 1, "\n".join(lines[idx + 1:])
    raise _ParseError(1, "front matter opened with '---' is never closed")


def _rust_lines(text: str) -> list[str]:
    """``str::lines``: split on \\n, drop one trailing \\r per line, no last empty line."""
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return [p[:-1] if p.endswith("\r") else p for p in parts]


def _cloze_cards(text: str, line: int) -> list[tuple[int, str]]:
    """(deletion index, hash) of each deletion of a cloze block, as hashcards finds them."""
    raw = text.strip().encode("utf-8")
    clean = bytearray()
    image = escape = False
    for pos, c in enumerate(raw):
        nxt = raw[pos + 1] if pos + 1 < len(raw) else None
        if c == 0x5B:  # [
            if image:
                clean.append(c)
            if escape:
                escape = False
                clean.append(c)
        elif c == 0x5D:  # ]
            if image:
                image = False
                clean.append(c)
            elif escape:
                escape = False
                clean.append(c)
        elif c == 0x21:  # !
            if not image and nxt == 0x5B:
                image = True
            clean.append(c)
        elif c == 0x5C:  # backslash
            if not escape:
                if nxt in (0x5B, 0x5D):
                    escape = True
                else:
                    clean.append(c)
        else:
            clean.append(c)
    try:
        clean_text = clean.decode("utf-8")
    except UnicodeDecodeError:
        raise _ParseError(line, "cloze card contains invalid UTF-8") from None
    out: list[tuple[int, str]] = []
    start: int | None = None
    index = 0
    image = escape = False
    for pos, c in enumerate(raw):
        nxt = raw[pos + 1] if pos + 1 < len(raw) else None
        if c == 0x5B:
            if image:
                index += 1
            elif escape:
                index += 1
                escape = False
            else:
                start = index
        elif c == 0x5D:
            if image:
                image = False
                index += 1
            elif escape:
                escape = False
                index += 1
            elif start is not None:
                out.append((len(out), cloze_hash(clean_text, start, index - 1)))
                start = None
        elif c == 0x21:
            if not image and nxt == 0x5B:
                image = True
            index += 1
        elif c == 0x5C:
            if not escape:
                if nxt in (0x5B, 0x5D):
                    escape = True
                else:
                    index += 1
        else:
            index += 1
    if not out:
        raise _ParseError(line, "cloze card must contain at least one cloze deletion")
    return out


def parse_hashcards(text: str) -> list[HcCard]:
    """The cards of one deck file as hashcards reads it (line numbers of the whole file). A file
    hashcards would refuse raises ``ValueError`` naming the line."""
    offset, content = _content(text)
    cards: list[HcCard] = []
    state = "start"
    buf_q = buf_a = ""
    start = 0

    def basic() -> None:
        cards.append(HcCard(start, 0, False, basic_hash(buf_q, buf_a), buf_q.strip()))

    def cloze() -> None:
        cards.extend(HcCard(start, i, True, h) for i, h in _cloze_cards(buf_q, start))

    for n, line in enumerate(_rust_lines(content)):
        lineno = offset + n + 1
        kind = ("q" if line.startswith("Q:") else "a" if line.startswith("A:") else "c" if line.startswith("C:")
                else "sep" if line.strip() == "---" else "text")
        body = line[2:].strip() if kind in ("q", "a", "c") else line
        if state == "start":
            if kind == "q":
                state, buf_q, start = "q", body, lineno
            elif kind == "c":
                state, buf_q, start = "c", body, lineno
            elif kind == "a":
                raise _ParseError(lineno, "found answer tag without a question")
            elif kind == "text" and body.strip():
                raise _ParseError(lineno, "found text that doesn't parse as a flashcard")
        elif state == "q":
            if kind == "a":
                state, buf_a = "a", body
            elif kind == "text":
                buf_q = f"{buf_q}\n{body}"
            else:
                raise _ParseError(lineno, "a question without an answer")
        elif state == "a":
            if kind == "a":
                raise _ParseError(lineno, "found answer tag while reading an answer")
            if kind == "text":
                buf_a = f"{buf_a}\n{body}"
                continue
            basic()
            state = "start"
            if kind in ("q", "c"):
                state, buf_q, start = kind, body, lineno
        else:  # reading a cloze block
            if kind == "a":
                raise _ParseError(lineno, "found answer tag while reading a cloze card")
            if kind == "text":
                buf_q = f"{buf_q}\n{body}"
                continue
            cloze()
            state = "start"
            if kind in ("q", "c"):
                state, buf_q, start = kind, body, lineno
    if state == "q":
        raise _ParseError(offset + len(_rust_lines(content)), "file ended while reading a question")
    if state == "a":
        basic()
    elif state == "c":
        cloze()
    seen: set[str] = set()
    unique = []
    for c in cards:
        if c.hash not in seen:
            seen.add(c.hash)
            unique.append(c)
    return unique


@dataclass(frozen=True)
class _Review:
    review_id: int
    reviewed_at: str  # naive local time, as hashcards writes it
    grade: int
    interval_days: int
    due_date: str
    stability: float | None = None  # hashcards' FSRS state after the review
    difficulty: float | None = None


@dataclass
class HashcardsCollection:
    root: Path
    files: dict[Path, list[HcCard]]  # resolved deck file -> its cards
    reviews: dict[str, list[_Review]]  # card hash -> its reviews, oldest first
    warnings: list[str] = field(default_factory=list)

    @property
    def review_count(self) -> int:
        return sum(len(r) for r in self.reviews.values())


@dataclass
class HashcardsReport:
    root: str
    cards_in_db: int = 0
    reviews_in_db: int = 0
    cards_matched: int = 0
    reviews_imported: int = 0
    reviews_known: int = 0
    states_taken: int = 0
    fsrs_states: int = 0  # hashcards' FSRS stability and difficulty taken over (the scheduler setting is FSRS)
    not_found: int = 0  # cards with reviews in hashcards.db that no deck file holds (any more)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def is_collection(path: Path) -> bool:
    return path.is_dir() and (path / HASHCARDS_DB).is_file()


def read_collection(root: Path) -> HashcardsCollection:
    """Read and check ``root/hashcards.db`` and hash the cards of ``root``'s deck files."""
    _blake3()
    db = root / HASHCARDS_DB
    try:
        con = sqlite3.connect(f"file:{db.resolve()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise HashcardsError(f"{db}: cannot open it ({exc}); nothing imported") from None
    try:
        cols = {r[1] for r in con.execute("PRAGMA table_info(reviews)")}
        if not _REVIEW_COLUMNS <= cols:
            raise HashcardsError(f"{db}: not a hashcards database (no 'reviews' table with "
                                 f"{', '.join(sorted(_REVIEW_COLUMNS))}); nothing imported")
        reviews: dict[str, list[_Review]] = {}
        memory = "stability, difficulty" if {"stability", "difficulty"} <= cols else "NULL, NULL"
        for rid, card_hash, at, grade, ivl, due, stab, dif in con.execute(
                f"SELECT review_id, card_hash, reviewed_at, grade, interval_days, due_date, {memory} FROM reviews"
                " ORDER BY reviewed_at, review_id"):
            g = GRADES.get(str(grade).lower())
            try:
                # years and intervals as import-progress takes them: every date computed from them is a date
                if not (MIN_YEAR <= datetime.strptime(str(at), "%Y-%m-%dT%H:%M:%S.%f").year <= MAX_YEAR
                        and MIN_YEAR <= date.fromisoformat(str(due)).year <= MAX_YEAR):
                    raise ValueError("out of range")
                due = date.fromisoformat(str(due)).isoformat()  # 20250104 is read as 2025-01-04: stored so
                ivl = int(ivl)
                if type(rid) is not int or not 0 <= ivl <= MAX_INTERVAL_DAYS:
                    raise ValueError("out of range")
            except (TypeError, ValueError, OverflowError):
                g = None
            if g is None:
                raise HashcardsError(f"{db}: review {str(rid)[:40]!r} is damaged (grade {str(grade)[:40]!r}, "
                                     f"reviewed_at {str(at)[:40]!r}, due_date {str(due)[:40]!r}, interval_days "
                                     f"{str(ivl)[:40]!r}; dates in the years {MIN_YEAR} to {MAX_YEAR}, intervals up to"
                                     f" {MAX_INTERVAL_DAYS:,} days); nothing imported")
            fsrs = (float(stab), float(dif)) if isinstance(stab, int | float) and isinstance(dif, int | float) and (
                0 < stab <= _MAX_STABILITY and 1 <= dif <= 10) else (None, None)
            reviews.setdefault(str(card_hash), []).append(_Review(rid, str(at), g, ivl, due, *fsrs))
    except sqlite3.DatabaseError as exc:
        raise HashcardsError(f"{db}: not a readable hashcards database ({exc}); nothing imported") from None
    finally:
        con.close()
    files: dict[Path, list[HcCard]] = {}
    warnings: list[str] = []
    seen: set[str] = set()
    for path in sorted(root.rglob("*.md")):
        if not path.is_file():
            continue
        try:
            if path.stat().st_size > _MAX_FILE:
                warnings.append(f"{path}: larger than {_MAX_FILE >> 20} MB, its history is not read")
                continue
            cards = parse_hashcards(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            warnings.append(f"{path}: cannot be read ({exc}); its history is not taken over")
            continue
        except ValueError as exc:
            warnings.append(f"{path}: {exc} (hashcards would refuse this file); its history is not taken over")
            continue
        files[path.resolve()] = [c for c in cards if c.hash not in seen]
        seen.update(c.hash for c in cards)
    return HashcardsCollection(root, files, reviews, warnings)


def _words(text: str) -> str:
    return " ".join(text.split())


def _variant_number(variant: str) -> int:
    digits = "".join(ch for ch in variant if ch.isdigit())
    return int(digits) if digits else 0


def take_history(store: Store, hc: HashcardsCollection) -> HashcardsReport:
    """Give the cards of ``hc``'s deck files (already imported) their hashcards history."""
    report = HashcardsReport(str(hc.root), cards_in_db=len(hc.reviews), reviews_in_db=hc.review_count,
                             warnings=list(hc.warnings))
    zone, rollover = store.clock.zone(), store.setting("rollover_hour")
    matched_hashes: set[str] = set()
    with write_tx(store.database) as conn:
        for path, cards in hc.files.items():
            ours = conn.execute(
                "SELECT c.id, c.uid, c.line, c.variant, c.kind, c.front FROM card c JOIN deck d ON d.id = c.deck_id"
                " WHERE d.source_path = ? AND d.archived = 0 AND c.archived = 0", (str(path),)).fetchall()
            by_line: dict[int, list[tuple[int, str, str, str]]] = {}
            fronts: dict[int, str] = {}
            for card_id, uid, line, variant, kind, front in ours:
                by_line.setdefault(line, []).append((card_id, uid, variant, kind))
                fronts[card_id] = front
            hc_by_line: dict[int, list[HcCard]] = {}
            for c in cards:
                hc_by_line.setdefault(c.line, []).append(c)
            for line, theirs in hc_by_line.items():
                here = sorted(by_line.get(line, []), key=lambda r: _variant_number(r[2]))
                if theirs[0].cloze:
                    here = [r for r in here if r[3] == "cloze"]
                else:
                    here = [r for r in here if r[3] != "cloze" and r[2] == ""][:1]
                same_text = theirs[0].cloze or not here or _words(fronts[here[0][0]]) == _words(theirs[0].question)
                if len(here) != len(theirs) or not same_text:
                    if any(c.hash in hc.reviews for c in theirs):
                        report.warnings.append(
                            f"{path}:{line}: studyllm reads this card differently from hashcards "
                            f"({len(here)} card(s) for hashcards' {len(theirs)}"
                            + ("" if same_text else ", another question") + "); its history is not taken over")
                    continue
                for (card_id, uid, _variant, _kind), c in zip(here, sorted(theirs, key=lambda c: c.index),
                                                               strict=True):
                    revs = hc.reviews.get(c.hash)
                    if not revs:
                        continue
                    matched_hashes.add(c.hash)
                    report.cards_matched += 1
                    _card_history(conn, store, card_id, uid, c.hash, revs, zone, rollover, report)
    report.not_found = len(set(hc.reviews) - matched_hashes)
    return report


def _utc(local: str, zone: Any) -> datetime:
    return datetime.strptime(local, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=zone).astimezone(UTC)


def _card_history(conn: Any, store: Store, card_id: int, card_uid: str, card_hash: str, revs: list[_Review],
                  zone: Any, rollover: int, report: HashcardsReport) -> None:
    reps, interval, due, lapses = 0, 0, None, 0
    last_at = ""
    for r in revs:
        instant = _utc(r.reviewed_at, zone)
        at = instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        last_at = max(last_at, at)
        day = study_day(instant, zone, rollover).isoformat()
        reps_after = reps + 1 if r.grade >= 3 else 0
        kind = "new" if due is None else ("relearn" if r.grade < 3 else "review")
        if r.grade < 3 and reps > 0:
            lapses += 1
        cur = conn.execute(
            "INSERT OR IGNORE INTO review_log (uid, card_id, card_uid, reviewed_at, day, grade, duration_ms, kind,"
            " reps_before, ef_before, interval_before, due_before, reps_after, ef_after, interval_after, due_after,"
            " state_before) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, 250, ?, ?, ?, 250, ?, ?, '{}')",
            (f"hashcards:{card_hash}:{r.review_id}", card_id, card_uid, at, day, r.grade, kind, reps, interval, due,
             reps_after, r.interval_days, r.due_date))
        if cur.rowcount:
            report.reviews_imported += 1
        else:
            report.reviews_known += 1
        reps, interval, due = reps_after, r.interval_days, r.due_date
    latest = conn.execute("SELECT max(reviewed_at) FROM review_log WHERE card_id = ? AND uid NOT LIKE 'hashcards:%'",
                          (card_id,)).fetchone()[0]
    if latest and latest > last_at:
        return  # answered here since: studyllm's state stands
    n_reviews = conn.execute("SELECT count(*) FROM review_log WHERE card_id = ?", (card_id,)).fetchone()[0]
    # FSRS mode queues a reviewed card with no learning step as a review (schedule.fsrs_queue)
    queue = m.QUEUE_REVIEW if reps >= 2 or store.setting("scheduler") == "fsrs" else m.QUEUE_LEARNING
    conn.execute(
        "UPDATE card_state SET queue = CASE WHEN suspended THEN queue ELSE ? END, repetitions = ?, interval = ?,"
        " due_day = ?, reviews = ?, lapses = ?, last_reviewed_at = ? WHERE card_id = ?",
        (queue, reps, interval, due, n_reviews, lapses, last_at, card_id))
    report.states_taken += 1
    last = revs[-1]
    if last.stability is not None and last.difficulty is not None and due:
        # FSRS mode: hashcards' own FSRS state (studyllm.store.migrated.take_fsrs_memory)
        from studyllm.store.migrated import day_start, take_fsrs_memory

        if take_fsrs_memory(conn, store, card_id, phase=2, stability=last.stability, difficulty=last.difficulty,
                            due=day_start(date.fromisoformat(due), store), last_review=_utc(last.reviewed_at, zone)):
            report.fsrs_states += 1
