"""The progress export format: its names and columns, and reading an export back with every
field checked (``docs/export-format.md``).

:func:`load_export` reads a JSON export, a CSV export folder or a ``review_log.csv`` into an
:class:`ExportData` without touching any store; anything out of range or inconsistent is a
:class:`ProgressError` naming the file, the row (or line) and the key. The writers are in
:mod:`studyllm.store.export`, the merge in :mod:`studyllm.store.merge`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from studyllm.decks.source import DeckReadError, read_deck_bytes
from studyllm.store.constants import MAX_DURATION_MS

__all__ = [
    "FORMAT", "EXPORT_VERSION", "ProgressError", "ExportCard", "ExportDeckSource", "ExportLogRow", "ExportData",
    "load_export",
    "parse_json_export", "CSV_LOG_NAME", "CSV_STATE_NAME", "CSV_DECKS_NAME", "CSV_DECK_COLUMNS",
    "CSV_LOG_COLUMNS", "CSV_STATE_COLUMNS",
    "CARD_COLUMNS", "STATE_COLUMNS", "LOG_COLUMNS",
]

FORMAT = "studyllm-progress"
EXPORT_VERSION = 1

Progress = Callable[[int, int, str], None]

# columns of the JSON export's tables (the reader maps by name, so order may change)
CARD_COLUMNS = ["uid", "deck_key", "content_hash", "norm_hash", "kind", "variant", "front", "back", "archived"]
STATE_COLUMNS = [
    "card_uid", "queue", "repetitions", "ef_centi", "interval", "due_day", "reviews", "lapses",
    "last_reviewed_at", "drill_day", "buried_until", "suspended", "leech", "fsrs_state", "sm2_saved",
]
LOG_COLUMNS = [
    "uid", "card_uid", "reviewed_at", "day", "grade", "duration_ms", "kind",
    "reps_after", "ef_after", "interval_after", "due_after", "fsrs_after",
]
LOG_REQUIRED = ("uid", "card_uid", "reviewed_at", "day", "grade")

# CSV files (``--format csv -o DIR``)
CSV_LOG_NAME = "review_log.csv"
CSV_STATE_NAME = "card_states.csv"
CSV_DECKS_NAME = "deck_sources.csv"  # the learner decks' texts (as the JSON export's deck_sources)
CSV_DECK_COLUMNS = ["key", "name", "ext", "sha256", "text"]
CSV_LOG_COLUMNS = [
    "uid", "card_uid", "deck_key", "content_hash", "reviewed_at", "day", "grade", "duration_ms", "kind",
    "ef_before", "ef_after", "interval_before", "interval_after", "due_after",
]
CSV_STATE_COLUMNS = [
    "card_uid", "deck_key", "deck_title", "content_hash", "front", "state", "queue", "repetitions", "ef",
    "interval", "due_day", "reviews", "lapses", "last_reviewed_at", "suspended", "leech", "buried_until",
]

class ProgressError(Exception):
    """Bad export file or failed merge; the message names the line or key. Nothing was changed."""




@dataclass
class ExportCard:
    uid: str
    deck_key: str
    content_hash: str
    front: str = ""


@dataclass
class ExportLogRow:
    uid: str
    card_uid: str
    reviewed_at: str
    day: str
    grade: int
    duration_ms: int
    where: str  # "review_log.rows[12]" or "review_log.csv line 14", for messages


@dataclass
class ExportDeckSource:
    key: str
    ext: str
    data: bytes
    sha256: str


@dataclass
class ExportData:
    source: str
    decks: list[ExportDeckSource] = field(default_factory=list)  # the learner decks' files, when the export has them
    cards: dict[str, ExportCard] = field(default_factory=dict)
    flags: dict[str, tuple[bool, str | None]] = field(default_factory=dict)  # card uid -> (suspended, buried_until)
    log: list[ExportLogRow] = field(default_factory=list)


# Ranges every field of an export must fall in (docs/export-format.md, "Checks on import").
MIN_YEAR, MAX_YEAR = 1970, 9998  # instants and days; room for day arithmetic either side
MAX_KEY_CHARS = 1000  # uids, deck keys, content hashes
MAX_EXPORT_BYTES = 1 << 30  # an export file (JSON, or one CSV) is read whole: 1 GiB at most
MAX_INT_DIGITS = 20  # longer JSON integers are read as a _BigNumber, never converted


class _BigNumber(str):
    """A JSON integer too long to be a value of any field; kept as its text so the check of
    the field it sits in can name the row and key."""

    def __repr__(self) -> str:
        return f"a {len(self):,}-digit number"


def _parse_int(text: str) -> int | _BigNumber:
    return _BigNumber(text) if len(text.lstrip("-")) > MAX_INT_DIGITS else int(text)


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def csv_cell(value: str) -> str:
    """A CSV cell as the export wrote it, back to its text: the export puts a ``'`` before a
    cell starting with ``= + - @``, a tab, a carriage return or ``'`` (formula injection, see
    :func:`studyllm.store.export.csv_safe`); one leading ``'`` is dropped here."""
    return value[1:] if value.startswith("'") else value


def _norm_instant(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ProgressError(f"{where}: reviewed_at must be an ISO date-time string, got {_show(value)}")
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ProgressError(f"{where}: reviewed_at {_show(value)} is not an ISO date-time") from None
    if dt.tzinfo is None:
        raise ProgressError(f"{where}: reviewed_at {_show(value)} has no time zone (expected UTC, e.g. +00:00)")
    try:
        utc = dt.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed past the calendar by its offset
        utc = None
    if utc is None or not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise ProgressError(
            f"{where}: reviewed_at {_show(value)} is out of range (years {MIN_YEAR} to {MAX_YEAR} in UTC)"
        )
    return utc.isoformat()


def _check_day(value: Any, where: str, key: str = "day", *, optional: bool = False) -> str | None:
    if optional and (value is None or value == ""):
        return None
    if not isinstance(value, str):
        raise ProgressError(f"{where}: {key} must be an ISO date (YYYY-MM-DD), got {_show(value)}")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ProgressError(f"{where}: {key} {_show(value)} is not an ISO date (YYYY-MM-DD)") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ProgressError(f"{where}: {key} {_show(value)} is out of range (years {MIN_YEAR} to {MAX_YEAR})")
    return day.isoformat()


def _check_int(value: Any, where: str, key: str, lo: int, hi: int) -> int:
    if isinstance(value, str) and not isinstance(value, _BigNumber):
        text = value.strip()
        if text.lstrip("+-").isdigit() and len(text.lstrip("+-")) <= MAX_INT_DIGITS:
            value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProgressError(f"{where}: {key} must be a whole number from {lo} to {hi}, got {_show(value)}")
    if not lo <= value <= hi:
        raise ProgressError(f"{where}: {key} must be from {lo} to {hi}, got {_show(value)}")
    return value


def _check_str(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or isinstance(value, _BigNumber) or not value:
        raise ProgressError(f"{where}: {key} must be a non-empty string, got {_show(value)}")
    if len(value) > MAX_KEY_CHARS:
        raise ProgressError(f"{where}: {key} is {len(value):,} characters long (at most {MAX_KEY_CHARS:,})")
    return value


def _check_flag(value: Any, where: str, key: str) -> bool:
    if value in (True, False, 0, 1, "0", "1") and not isinstance(value, float):
        return value in (True, 1, "1")
    raise ProgressError(f"{where}: {key} must be true or false (1 or 0), got {_show(value)}")


def _log_row(get: Callable[[str], Any], where: str) -> ExportLogRow:
    reviewed_at = _norm_instant(get("reviewed_at"), where)
    day = _check_day(get("day"), where) or ""
    # the study day is the exporter's local date shifted back by its rollover hour: within
    # two days before and one day after the UTC date of the answer, whatever the time zone
    utc_day = date.fromisoformat(reviewed_at[:10])
    if not -2 <= (date.fromisoformat(day) - utc_day).days <= 1:
        raise ProgressError(
            f"{where}: day {day} doesn't match reviewed_at {reviewed_at} (the study day is the local date of "
            "the answer, shifted by the rollover hour: at most 2 days before or 1 day after its UTC date)"
        )
    duration = get("duration_ms")
    return ExportLogRow(
        uid=_check_str(get("uid"), where, "uid"),
        card_uid=_check_str(get("card_uid"), where, "card_uid"),
        reviewed_at=reviewed_at,
        day=day,
        grade=_check_int(get("grade"), where, "grade", 0, 5),
        duration_ms=_check_int(0 if duration in (None, "") else duration, where, "duration_ms", 0, MAX_DURATION_MS),
        where=where,
    )


def _getter(row: list[Any], index: dict[str, int]) -> Callable[[str], Any]:
    """The value of column ``key`` in ``row``, ``None`` when the export has no such column."""
    return lambda key: row[index[key]] if key in index else None


def _table(doc: dict, key: str, required: Iterable[str]) -> tuple[dict[str, int], list]:
    table = doc.get(key)
    if not isinstance(table, dict):
        raise ProgressError(f"key {key!r}: missing or not an object with 'columns' and 'rows'")
    cols = table.get("columns")
    rows = table.get("rows")
    if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols):
        raise ProgressError(f"key {key}.columns: must be a list of column names")
    if not isinstance(rows, list):
        raise ProgressError(f"key {key}.rows: must be a list")
    index = {c: i for i, c in enumerate(cols)}
    missing = [c for c in required if c not in index]
    if missing:
        raise ProgressError(f"key {key}.columns: missing column(s) {', '.join(missing)}")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(cols):
            raise ProgressError(
                f"key {key}.rows[{i}]: expected a list of {len(cols)} values ({', '.join(cols)}), got {str(row)[:80]}"
            )
    return index, rows


def parse_json_export(text: str, source: str) -> ExportData:
    try:
        doc = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        hint = " (the file looks truncated)" if exc.pos >= len(text.rstrip()) else ""
        raise ProgressError(f"{source}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}{hint}") from None
    except RecursionError:
        raise ProgressError(f"{source}: nested too deeply to be a studyllm export") from None
    if not isinstance(doc, dict):
        raise ProgressError(f"{source}: not a studyllm export (the top level is not a JSON object)")
    if doc.get("format") != FORMAT:
        raise ProgressError(
            f"{source}: key 'format': expected {FORMAT!r}, got {_show(doc.get('format'))}; not a studyllm export"
        )
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProgressError(f"{source}: key 'version': expected a positive whole number, got {_show(version)}")
    if version > EXPORT_VERSION:
        raise ProgressError(
            f"{source}: key 'version': this export has format version {version}, newer than this studyllm "
            f"reads ({EXPORT_VERSION}); upgrade studyllm on this machine"
        )
    data = ExportData(source=source)
    try:
        cidx, crows = _table(doc, "cards", ("uid", "deck_key", "content_hash"))
        for i, row in enumerate(crows):
            where = f"key cards.rows[{i}]"
            uid = _check_str(row[cidx["uid"]], where, "uid")
            if uid in data.cards:
                raise ProgressError(f"{where}: card uid {uid!r} appears twice")
            data.cards[uid] = ExportCard(
                uid=uid,
                deck_key=_check_str(row[cidx["deck_key"]], where, "deck_key"),
                content_hash=_check_str(row[cidx["content_hash"]], where, "content_hash"),
                front=str(row[cidx["front"]]) if "front" in cidx else "",
            )
        data.decks = _deck_sources(doc.get("deck_sources", []))
        sidx, srows = _table(doc, "card_states", ("card_uid",))
        for i, row in enumerate(srows):
            where = f"key card_states.rows[{i}]"
            uid = _check_str(row[sidx["card_uid"]], where, "card_uid")
            susp = _check_flag(row[sidx["suspended"]], where, "suspended") if "suspended" in sidx else False
            buried = (_check_day(row[sidx["buried_until"]], where, "buried_until", optional=True)
                      if "buried_until" in sidx else None)
            data.flags[uid] = (susp, buried)
        lidx, lrows = _table(doc, "review_log", LOG_REQUIRED)
        for i, row in enumerate(lrows):
            where = f"key review_log.rows[{i}]"
            data.log.append(_log_row(_getter(row, lidx), where))
    except ProgressError as exc:
        raise ProgressError(f"{source}: {exc}") from None
    return data


_EXT = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


def _deck_sources(value: Any) -> list[ExportDeckSource]:
    """The optional ``deck_sources`` key: each deck file's text, checked against its sha256."""
    if not isinstance(value, list):
        raise ProgressError("key 'deck_sources': expected a list")
    out = []
    for i, rec in enumerate(value):
        where = f"key deck_sources[{i}]"
        if not isinstance(rec, dict):
            raise ProgressError(f"{where}: expected an object")
        out.append(_deck_source(rec, where))
    return out


def _deck_source(rec: dict[str, Any], where: str) -> ExportDeckSource:
    """One deck file's record (JSON ``deck_sources`` entry or ``deck_sources.csv`` row), checked."""
    key = _check_str(rec.get("key"), where, "key")
    text, ext, digest = rec.get("text"), rec.get("ext") or ".md", rec.get("sha256")
    if not isinstance(text, str):
        raise ProgressError(f"{where}: key 'text': expected the deck file's text")
    if not isinstance(ext, str) or not _EXT.match(ext):
        raise ProgressError(f"{where}: key 'ext': expected a file suffix such as '.md', got {_show(ext)}")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise ProgressError(f"{where}: key 'text': not valid text") from None
    if digest != hashlib.sha256(data).hexdigest():
        raise ProgressError(f"{where}: key 'sha256' does not match the deck's text (the file was edited)")
    return ExportDeckSource(key=key, ext=ext.lower(), data=data, sha256=digest)


def read_export_bytes(path: Path, max_bytes: int = MAX_EXPORT_BYTES) -> bytes:
    """The bytes of an export file, read as deck files are (``studyllm.decks.source``): a
    regular file only (a FIFO would block, ``/dev/zero`` never ends), at most ``max_bytes``,
    checked on the open file as it is read."""
    try:
        return read_deck_bytes(path, max_bytes)
    except DeckReadError as exc:
        message = str(exc).replace("as decks", "as exports").replace("a deck file", "an export file")
        raise ProgressError(f"{path}: cannot read: {message}" + (f" ({exc.hint})" if exc.hint else "")) from None


def _read_csv(path: Path, expected: list[str], required: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    raw = read_export_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ProgressError(f"{path}: line {line}: the file is not UTF-8 text") from None
    with io.StringIO(text, newline="") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise ProgressError(f"{path}: line 1: the file is empty (expected a header row)")
            unknown = [h for h in header if h not in expected]
            missing = [c for c in required if c not in header]
            if unknown or missing:
                parts = []
                if missing:
                    parts.append("missing " + ", ".join(missing))
                if unknown:
                    parts.append("unexpected " + ", ".join(repr(u) for u in unknown))
                raise ProgressError(
                    f"{path}: line 1: wrong columns ({'; '.join(parts)}); expected {', '.join(expected)}"
                )
            start = reader.line_num + 1  # a record may span lines (a quoted deck text): its first
            for row in reader:
                line, start = start, reader.line_num + 1
                if not row:
                    continue
                if len(row) != len(header):
                    raise ProgressError(f"{path}: line {line}: expected {len(header)} fields, got {len(row)}")
                yield line, {h: csv_cell(v) for h, v in zip(header, row, strict=True)}
        except csv.Error as exc:
            raise ProgressError(f"{path}: line {reader.line_num}: bad CSV: {exc}") from None
        except UnicodeDecodeError:
            raise ProgressError(f"{path}: near line {reader.line_num}: the file is not UTF-8 text") from None


def _parse_csv_export(path: Path) -> ExportData:
    folder = path if path.is_dir() else path.parent
    log_path = folder / CSV_LOG_NAME if path.is_dir() else path
    if not log_path.exists():
        raise ProgressError(f"{folder}: no {CSV_LOG_NAME} here (export with --format csv -o DIR)")
    data = ExportData(source=str(log_path))
    required = ("uid", "card_uid", "deck_key", "content_hash", *LOG_REQUIRED)
    for line, row in _read_csv(log_path, CSV_LOG_COLUMNS, required):
        where = f"{log_path}: line {line}"
        ev = _log_row(row.get, where)
        data.log.append(ev)
        if ev.card_uid not in data.cards:
            data.cards[ev.card_uid] = ExportCard(
                uid=ev.card_uid, deck_key=_check_str(row["deck_key"], where, "deck_key"),
                content_hash=_check_str(row["content_hash"], where, "content_hash"),
            )
    state_path = folder / CSV_STATE_NAME
    if state_path.exists():
        for line, row in _read_csv(state_path, CSV_STATE_COLUMNS, ("card_uid",)):
            where = f"{state_path}: line {line}"
            uid = _check_str(row["card_uid"], where, "card_uid")
            susp = _check_flag((row.get("suspended") or "0").strip(), where, "suspended")
            buried = _check_day(row.get("buried_until"), where, "buried_until", optional=True)
            data.flags[uid] = (susp, buried)
            if uid in data.cards and row.get("front"):
                data.cards[uid].front = row["front"]
    decks_path = folder / CSV_DECKS_NAME
    if decks_path.exists():  # the learner decks' texts: the CSV export is self-contained too
        for line, row in _read_csv(decks_path, CSV_DECK_COLUMNS, CSV_DECK_COLUMNS):
            data.decks.append(_deck_source(row, f"{decks_path}: line {line}"))
    return data


def load_export(path: Path) -> ExportData:
    """Read and check an export (JSON file, CSV folder or ``review_log.csv``) without touching any store."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".csv":
        data = _parse_csv_export(path)
    else:
        raw = read_export_bytes(path)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ProgressError(f"{path}: line {line}: the file is not UTF-8 text") from None
        data = parse_json_export(text, str(path))
    seen: dict[str, str] = {}
    for row in data.log:
        if row.uid in seen:
            raise ProgressError(f"{data.source}: {row.where}: review uid {row.uid!r} also used at {seen[row.uid]}")
        seen[row.uid] = row.where
    return data


