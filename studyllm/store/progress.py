"""Export, import (merge) and replay of progress. The review log is the source of truth.

Card state is a function of a card's review log: :func:`replay_card` applies the answers
in time order with exactly the rules of :meth:`studyllm.store.Store.answer` (SM-2, same-day
drills that leave SM-2 state alone, lapses, leeches). Both the merge of an export
(:func:`import_progress`) and :func:`rebuild_states` ("recompute every card from its log")
go through it, so a merged home is in the state it would be in had all the answers been
given on one machine.

File formats are described in ``docs/export-format.md``.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from studyllm import __version__
from studyllm.schedule import apply_answer, queue_for
from studyllm.store import constants as m
from studyllm.store.db import Connection, write_tx
from studyllm.store.service import Store

__all__ = [
    "FORMAT",
    "EXPORT_VERSION",
    "ProgressError",
    "ImportProgressReport",
    "Event",
    "replay_card",
    "rebuild_states",
    "export_json",
    "export_csv",
    "load_export",
    "import_progress",
]

FORMAT = "studyllm-progress"
EXPORT_VERSION = 1

Progress = Callable[[int, int, str], None]

# columns of the JSON export's tables (the reader maps by name, so order may change)
CARD_COLUMNS = ["uid", "deck_key", "content_hash", "norm_hash", "kind", "variant", "front", "back", "archived"]
STATE_COLUMNS = [
    "card_uid", "queue", "repetitions", "ef_centi", "interval", "due_day", "reviews", "lapses",
    "last_reviewed_at", "drill_day", "buried_until", "suspended", "leech",
]
LOG_COLUMNS = [
    "uid", "card_uid", "reviewed_at", "day", "grade", "duration_ms", "kind",
    "reps_after", "ef_after", "interval_after", "due_after",
]
LOG_REQUIRED = ("uid", "card_uid", "reviewed_at", "day", "grade")

# CSV files (``--format csv -o DIR``)
CSV_LOG_NAME = "review_log.csv"
CSV_STATE_NAME = "card_states.csv"
CSV_LOG_COLUMNS = [
    "uid", "card_uid", "deck_key", "content_hash", "reviewed_at", "day", "grade", "duration_ms", "kind",
    "ef_before", "ef_after", "interval_before", "interval_after", "due_after",
]
CSV_STATE_COLUMNS = [
    "card_uid", "deck_key", "deck_title", "content_hash", "front", "state", "queue", "repetitions", "ef",
    "interval", "due_day", "reviews", "lapses", "last_reviewed_at", "suspended", "leech", "buried_until",
]

_STATE_COLS = (
    "card_id deck_id position queue repetitions ef_centi interval due_day reviews lapses "
    "last_reviewed_at drill_day buried_until suspended leech"
).split()


class ProgressError(Exception):
    """Bad export file or failed merge; the message names the line or key. Nothing was changed."""


# --------------------------------------------------------------------------- replay


@dataclass(frozen=True)
class Event:
    """One answer, as far as replay needs it. ``order`` breaks ties between equal instants."""

    uid: str
    reviewed_at: str  # UTC ISO instant, normalised (sorts as text)
    day: str  # study day, ISO date
    grade: int
    duration_ms: int = 0
    order: int = 0


@dataclass
class Derived:
    """The fields of a review_log row that follow from replay (kind, before/after, snapshot)."""

    kind: str
    reps_before: int
    ef_before: int
    interval_before: int
    due_before: str | None
    reps_after: int
    ef_after: int
    interval_after: int
    due_after: str | None
    state_before: str

    def as_tuple(self) -> tuple:
        return (
            self.kind, self.reps_before, self.ef_before, self.interval_before, self.due_before,
            self.reps_after, self.ef_after, self.interval_after, self.due_after, self.state_before,
        )


def fresh_state(card_id: int, deck_id: int, position: int, *, suspended: bool = False,
                buried_until: str | None = None, archived: bool = False) -> dict[str, Any]:
    """The state of a card nobody has answered (as the importer creates it)."""
    return {
        "card_id": card_id, "deck_id": deck_id, "position": position,
        "queue": queue_for(reviews=0, repetitions=0, suspended=suspended, archived=archived),
        "repetitions": 0, "ef_centi": 250, "interval": 0, "due_day": None, "reviews": 0, "lapses": 0,
        "last_reviewed_at": None, "drill_day": None, "buried_until": buried_until,
        "suspended": int(bool(suspended)), "leech": 0,
    }


def replay_card(
    start: dict[str, Any], events: Iterable[Event], *, leech_at: int, archived: bool = False
) -> tuple[dict[str, Any], list[Derived]]:
    """Apply ``events`` (already in time order) to ``start`` (a fresh state) the way
    :meth:`Store.answer` does, and return the final state and each event's derived log fields.

    ``suspended`` and ``buried_until`` are not in the log: they are taken from ``start``.
    """
    st = dict(start)
    out: list[Derived] = []
    for ev in events:
        before_row = dict(st)
        applied = apply_answer(st, ev.grade, ev.day, ev.reviewed_at, leech_at=leech_at, archived=archived)
        st, before, after = applied.state, applied.before, applied.after
        out.append(
            Derived(
                kind=applied.kind, reps_before=before.repetitions, ef_before=before.easiness_centi,
                interval_before=before.interval, due_before=before_row["due_day"],
                reps_after=after.repetitions, ef_after=after.easiness_centi, interval_after=after.interval,
                due_after=st["due_day"], state_before=_snapshot(before_row),
            )
        )
    return st, out


_LOCAL_LOG_SQL = (
    "SELECT card_id, id, uid, reviewed_at, day, grade, duration_ms, kind, reps_before, ef_before,"
    " interval_before, due_before, reps_after, ef_after, interval_after, due_after, state_before"
    " FROM review_log WHERE card_id IN ({}) ORDER BY card_id, reviewed_at, id"
)


def _chunks(items: list, n: int = 500) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _card_rows(conn: Connection, card_ids: list[int]) -> dict[int, tuple]:
    out: dict[int, tuple] = {}
    for chunk in _chunks(card_ids):
        for r in conn.exec_driver_sql(
            "SELECT s.card_id, s.deck_id, s.position, s.suspended, s.buried_until, c.archived"
            f" FROM card_state s JOIN card c ON c.id = s.card_id WHERE s.card_id IN ({','.join('?' * len(chunk))})",
            tuple(chunk),
        ):
            out[r[0]] = r[1:]
    return out


def _replay_and_write(
    conn: Connection,
    card_ids: list[int],
    *,
    leech_at: int,
    new_events: dict[int, list[Event]] | None = None,
    card_uids: dict[int, str] | None = None,
    flags: dict[int, tuple[bool, str | None]] | None = None,
) -> tuple[int, int]:
    """Replay ``card_ids`` from their local log plus ``new_events`` (inserted here), and write
    the states and any derived log fields that changed. Returns (rows inserted, rows fixed)."""
    new_events = new_events or {}
    flags = flags or {}
    inserted = fixed = 0
    for chunk in _chunks(sorted(card_ids)):
        cards = _card_rows(conn, chunk)
        local: dict[int, list[tuple]] = defaultdict(list)
        for r in conn.exec_driver_sql(_LOCAL_LOG_SQL.format(",".join("?" * len(chunk))), tuple(chunk)):
            local[r[0]].append(r)
        inserts: list[tuple] = []
        updates: list[tuple] = []
        states: list[tuple] = []
        for cid in chunk:
            if cid not in cards:
                continue
            deck_id, position, suspended, buried, archived = cards[cid]
            if cid in flags:
                suspended, buried = flags[cid]
            # local rows sort before new ones at equal instants: new rows get larger ids
            merged: list[tuple[Event, tuple | None]] = [
                (Event(r[2], r[3], r[4], r[5], r[6], order=r[1]), r) for r in local.get(cid, [])
            ]
            merged += [(ev, None) for ev in new_events.get(cid, [])]
            merged.sort(key=lambda pair: (pair[0].reviewed_at, pair[1] is None, pair[0].order))
            start = fresh_state(cid, deck_id, position, suspended=bool(suspended), buried_until=buried,
                                archived=bool(archived))
            final, derived = replay_card(start, [ev for ev, _ in merged], leech_at=leech_at, archived=bool(archived))
            for (ev, row), d in zip(merged, derived, strict=True):
                if row is None:
                    inserts.append(
                        (ev.uid, cid, card_uids[cid] if card_uids else "", ev.reviewed_at, ev.day, ev.grade,
                         ev.duration_ms, *d.as_tuple())
                    )
                elif tuple(row[7:17]) != d.as_tuple():
                    updates.append((*d.as_tuple(), row[1]))
            states.append(tuple(final[c] for c in _STATE_COLS if c != "card_id") + (cid,))
        if inserts:
            conn.exec_driver_sql(
                "INSERT INTO review_log (uid, card_id, card_uid, reviewed_at, day, grade, duration_ms, kind,"
                " reps_before, ef_before, interval_before, due_before, reps_after, ef_after, interval_after,"
                " due_after, state_before) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                inserts,
            )
            inserted += len(inserts)
        if updates:
            conn.exec_driver_sql(
                "UPDATE review_log SET kind=?, reps_before=?, ef_before=?, interval_before=?, due_before=?,"
                " reps_after=?, ef_after=?, interval_after=?, due_after=?, state_before=? WHERE id=?",
                updates,
            )
            fixed += len(updates)
        if states:
            cols = [c for c in _STATE_COLS if c != "card_id"]
            conn.exec_driver_sql(
                f"UPDATE card_state SET {', '.join(f'{c} = ?' for c in cols)} WHERE card_id = ?", states
            )
    return inserted, fixed


def rebuild_states(store: Store, card_ids: Iterable[int] | None = None) -> int:
    """Recompute card states (and the derived log fields) from the review log. With no
    ``card_ids``, every card (a card without answers goes back to new). Returns the number replayed."""
    leech_at = store.setting("leech_lapses")
    with write_tx(store.database) as conn:
        if card_ids is None:
            ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM card")]
        else:
            ids = list(dict.fromkeys(card_ids))
        _replay_and_write(conn, ids, leech_at=leech_at)
    return len(ids)


# --------------------------------------------------------------------------- export


def _counts(cur: sqlite3.Cursor) -> tuple[int, int, int]:
    return (
        cur.execute("SELECT count(*) FROM deck").fetchone()[0],
        cur.execute("SELECT count(*) FROM card").fetchone()[0],
        cur.execute("SELECT count(*) FROM review_log").fetchone()[0],
    )


# one encoder each, made once: json.dumps builds a new encoder on every call with options
_json_line = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# the same text as studyllm.store.db.dumps (the undo snapshot format)
_snapshot = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def export_json(store: Store, out: TextIO, *, progress: Progress | None = None) -> dict[str, int]:
    """Write the whole progress as one JSON document (one table row per line). Returns counts."""
    every = 20_000
    with store.database.connect() as conn, conn.begin():
        cur = conn.raw.cursor()
        n_decks, n_cards, n_log = _counts(cur)
        total = n_cards * 2 + n_log
        done = 0

        def tick(label: str) -> None:
            if progress and (done % every == 0 or done == total):
                progress(done, total, label)

        out.write("{\n")
        out.write(f'"format":{_json_line(FORMAT)},\n"version":{EXPORT_VERSION},\n')
        out.write(f'"schema_version":{m.SCHEMA_VERSION},\n"app_version":{_json_line(__version__)},\n')
        out.write(f'"exported_at":{_json_line(store.utc_now_iso())},\n"today":{_json_line(store.today().isoformat())},\n')
        out.write(f'"counts":{_json_line({"decks": n_decks, "cards": n_cards, "review_log": n_log})},\n')
        out.write('"decks":[')
        first = True
        for key, title, src, chash, tags, options, mode, archived, created, updated in cur.execute(
            "SELECT key, title, source_path, content_hash, tags, options, mode, archived, created_at, updated_at"
            " FROM deck ORDER BY position, id"
        ):
            deck = {
                "key": key, "title": title, "source_path": src, "content_hash": chash, "tags": json.loads(tags or "[]"),
                "options": json.loads(options or "{}"), "mode": mode, "archived": bool(archived),
                "created_at": created, "updated_at": updated,
            }
            out.write(("\n" if first else ",\n") + _json_line(deck))
            first = False
        out.write("\n],\n")

        def table(name: str, columns: list[str], sql: str, bools: tuple[int, ...], label: str, last: bool) -> None:
            """One table as {"columns": [...], "rows": [...]}, one row per line."""
            nonlocal done
            out.write(f'"{name}":{{"columns":{_json_line(columns)},"rows":[')
            first = True
            for row in cur.execute(sql):
                if bools:
                    row = list(row)
                    for i in bools:
                        row[i] = bool(row[i])
                out.write(("\n" if first else ",\n") + _json_line(row))
                first = False
                done += 1
                tick(label)
            out.write("\n]}\n" if last else "\n]},\n")

        table("cards", CARD_COLUMNS,
              "SELECT c.uid, d.key, c.content_hash, c.norm_hash, c.kind, c.variant, c.front, c.back, c.archived"
              " FROM card c JOIN deck d ON d.id = c.deck_id ORDER BY c.id", (8,), "cards", False)
        table("card_states", STATE_COLUMNS,
              "SELECT c.uid, s.queue, s.repetitions, s.ef_centi, s.interval, s.due_day, s.reviews, s.lapses,"
              " s.last_reviewed_at, s.drill_day, s.buried_until, s.suspended, s.leech"
              " FROM card_state s JOIN card c ON c.id = s.card_id ORDER BY c.id", (11, 12), "card states", False)
        table("review_log", LOG_COLUMNS,
              "SELECT uid, card_uid, reviewed_at, day, grade, duration_ms, kind, reps_after, ef_after,"
              " interval_after, due_after FROM review_log ORDER BY id", (), "review log", True)
        out.write("}\n")
        if progress:
            progress(total, total, "done")
        cur.close()
    return {"decks": n_decks, "cards": n_cards, "review_log": n_log}


def export_csv(store: Store, folder: Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Write ``review_log.csv`` and ``card_states.csv`` (UTF-8, comma, header row) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    every = 20_000
    with store.database.connect() as conn, conn.begin():
        cur = conn.raw.cursor()
        _, n_cards, n_log = _counts(cur)
        total = n_cards + n_log
        done = 0
        with open(folder / CSV_STATE_NAME, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(CSV_STATE_COLUMNS)
            for row in cur.execute(
                "SELECT c.uid, d.key, d.title, c.content_hash, c.front, c.archived, s.queue, s.repetitions,"
                " s.ef_centi, s.interval, s.due_day, s.reviews, s.lapses, s.last_reviewed_at, s.suspended,"
                " s.leech, s.buried_until FROM card_state s JOIN card c ON c.id = s.card_id"
                " JOIN deck d ON d.id = c.deck_id ORDER BY c.id"
            ):
                (uid, key, title, chash, front, archived, queue, reps, ef, ivl, due, reviews, lapses, last,
                 susp, leech, buried) = row
                w.writerow([
                    uid, key, title, chash, front, _state_name(queue, reviews, reps, archived), queue, reps,
                    f"{ef / 100:.2f}", ivl, due or "", reviews, lapses, last or "", int(susp), int(leech), buried or "",
                ])
                done += 1
                if progress and done % every == 0:
                    progress(done, total, CSV_STATE_NAME)
        with open(folder / CSV_LOG_NAME, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(CSV_LOG_COLUMNS)
            for row in cur.execute(
                "SELECT l.uid, l.card_uid, d.key, c.content_hash, l.reviewed_at, l.day, l.grade, l.duration_ms,"
                " l.kind, l.ef_before, l.ef_after, l.interval_before, l.interval_after, l.due_after"
                " FROM review_log l JOIN card c ON c.id = l.card_id JOIN deck d ON d.id = c.deck_id ORDER BY l.id"
            ):
                row = list(row)
                row[9] = f"{row[9] / 100:.2f}"
                row[10] = f"{row[10] / 100:.2f}"
                row[13] = row[13] or ""
                w.writerow(row)
                done += 1
                if progress and done % every == 0:
                    progress(done, total, CSV_LOG_NAME)
        if progress:
            progress(total, total, "done")
        cur.close()
    return {"cards": n_cards, "review_log": n_log, "files": [str(folder / CSV_LOG_NAME), str(folder / CSV_STATE_NAME)]}


def _state_name(queue: int, reviews: int, reps: int, archived: int) -> str:
    if archived or queue == m.QUEUE_ARCHIVED:
        return "archived"
    if queue == m.QUEUE_SUSPENDED:
        return "suspended"
    if reviews == 0:
        return "new"
    return "learning" if reps < 2 else "review"


# --------------------------------------------------------------------------- reading an export


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
class ExportData:
    source: str
    cards: dict[str, ExportCard] = field(default_factory=dict)
    flags: dict[str, tuple[bool, str | None]] = field(default_factory=dict)  # card uid -> (suspended, buried_until)
    log: list[ExportLogRow] = field(default_factory=list)


def _norm_instant(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ProgressError(f"{where}: reviewed_at must be an ISO date-time string, got {value!r}")
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ProgressError(f"{where}: reviewed_at {value!r} is not an ISO date-time") from None
    if dt.tzinfo is None:
        raise ProgressError(f"{where}: reviewed_at {value!r} has no time zone (expected UTC, e.g. +00:00)")
    return dt.astimezone(UTC).isoformat()


def _check_day(value: Any, where: str, key: str = "day", *, optional: bool = False) -> str | None:
    if optional and (value is None or value == ""):
        return None
    if not isinstance(value, str):
        raise ProgressError(f"{where}: {key} must be an ISO date (YYYY-MM-DD), got {value!r}")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ProgressError(f"{where}: {key} {value!r} is not an ISO date (YYYY-MM-DD)") from None


def _check_int(value: Any, where: str, key: str, lo: int, hi: int | None = None) -> int:
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ProgressError(f"{where}: {key} must be a whole number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProgressError(f"{where}: {key} must be a whole number, got {value!r}")
    if value < lo or (hi is not None and value > hi):
        span = f"from {lo} to {hi}" if hi is not None else f"at least {lo}"
        raise ProgressError(f"{where}: {key} must be {span}, got {value}")
    return value


def _check_str(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise ProgressError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value


def _cell(row: list[Any], index: dict[str, int], key: str) -> Any:
    """``row``'s value of column ``key`` (``None`` for a column the file doesn't have)."""
    return row[index[key]] if key in index else None


def _log_row(get: Callable[[str], Any], where: str) -> ExportLogRow:
    return ExportLogRow(
        uid=_check_str(get("uid"), where, "uid"),
        card_uid=_check_str(get("card_uid"), where, "card_uid"),
        reviewed_at=_norm_instant(get("reviewed_at"), where),
        day=_check_day(get("day"), where) or "",
        grade=_check_int(get("grade"), where, "grade", 0, 5),
        duration_ms=_check_int(get("duration_ms") if get("duration_ms") not in (None, "") else 0, where,
                               "duration_ms", 0),
        where=where,
    )


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


def _parse_json_export(text: str, source: str) -> ExportData:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = " (the file looks truncated)" if exc.pos >= len(text.rstrip()) else ""
        raise ProgressError(f"{source}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}{hint}") from None
    except RecursionError:
        raise ProgressError(f"{source}: nested too deeply to be a studyllm export") from None
    if not isinstance(doc, dict):
        raise ProgressError(f"{source}: not a studyllm export (the top level is not a JSON object)")
    if doc.get("format") != FORMAT:
        raise ProgressError(
            f"{source}: key 'format': expected {FORMAT!r}, got {doc.get('format')!r}; not a studyllm export"
        )
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProgressError(f"{source}: key 'version': expected a positive whole number, got {version!r}")
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
        sidx, srows = _table(doc, "card_states", ("card_uid",))
        for i, row in enumerate(srows):
            where = f"key card_states.rows[{i}]"
            uid = _check_str(row[sidx["card_uid"]], where, "card_uid")
            susp = row[sidx["suspended"]] if "suspended" in sidx else False
            if not isinstance(susp, (bool, int)):
                raise ProgressError(f"{where}: suspended must be true or false, got {susp!r}")
            buried = (_check_day(row[sidx["buried_until"]], where, "buried_until", optional=True)
                      if "buried_until" in sidx else None)
            data.flags[uid] = (bool(susp), buried)
        lidx, lrows = _table(doc, "review_log", LOG_REQUIRED)
        for i, row in enumerate(lrows):
            where = f"key review_log.rows[{i}]"
            data.log.append(_log_row(partial(_cell, row, lidx), where))
    except ProgressError as exc:
        raise ProgressError(f"{source}: {exc}") from None
    return data


def _read_csv(path: Path, expected: list[str], required: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        fh = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ProgressError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with fh:
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
            for row in reader:
                if not row:
                    continue
                if len(row) != len(header):
                    raise ProgressError(
                        f"{path}: line {reader.line_num}: expected {len(header)} fields, got {len(row)}"
                    )
                yield reader.line_num, dict(zip(header, row, strict=True))
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
            susp = (row.get("suspended") or "0").strip()
            if susp not in ("0", "1"):
                raise ProgressError(f"{where}: suspended must be 0 or 1, got {susp!r}")
            buried = _check_day(row.get("buried_until"), where, "buried_until", optional=True)
            data.flags[uid] = (susp == "1", buried)
            if uid in data.cards and row.get("front"):
                data.cards[uid].front = row["front"]
    return data


def load_export(path: Path) -> ExportData:
    """Read and check an export (JSON file, CSV folder or ``review_log.csv``) without touching any store."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".csv":
        data = _parse_csv_export(path)
    else:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ProgressError(f"{path}: cannot read: {exc.strerror or exc}") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ProgressError(f"{path}: line {line}: the file is not UTF-8 text") from None
        data = _parse_json_export(text, str(path))
    seen: dict[str, str] = {}
    for row in data.log:
        if row.uid in seen:
            raise ProgressError(f"{data.source}: {row.where}: review uid {row.uid!r} also used at {seen[row.uid]}")
        seen[row.uid] = row.where
    return data


# --------------------------------------------------------------------------- merging


@dataclass
class UnknownCard:
    uid: str
    deck_key: str
    front: str
    reviews: int


@dataclass
class ImportProgressReport:
    source: str
    rows_in_file: int = 0
    added: int = 0
    already_present: int = 0
    cards_replayed: int = 0
    matched_by_uid: int = 0
    matched_by_content: int = 0
    log_rows_fixed: int = 0
    unknown: list[UnknownCard] = field(default_factory=list)
    dry_run: bool = False

    @property
    def skipped_unknown(self) -> int:
        return sum(u.reviews for u in self.unknown)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "dry_run": self.dry_run, "rows_in_file": self.rows_in_file, "added": self.added,
            "already_present": self.already_present, "cards_replayed": self.cards_replayed,
            "matched_by_uid": self.matched_by_uid, "matched_by_content": self.matched_by_content,
            "skipped_unknown": self.skipped_unknown,
            "unknown_cards": [u.__dict__ for u in self.unknown],
        }


class _Rollback(Exception):
    pass


def import_progress(store: Store, path: Path | str, *, dry_run: bool = False) -> ImportProgressReport:
    """Merge an export into ``store`` in one transaction: log rows unioned by uid, states of
    touched cards rebuilt by replay. Raises :class:`ProgressError` (nothing changed) on bad input."""
    data = load_export(Path(path))
    return merge_export(store, data, dry_run=dry_run)


def merge_export(store: Store, data: ExportData, *, dry_run: bool = False) -> ImportProgressReport:
    report = ImportProgressReport(source=data.source, rows_in_file=len(data.log), dry_run=dry_run)
    leech_at = store.setting("leech_lapses")
    try:
        with write_tx(store.database) as conn:
            by_uid: dict[str, int] = {}
            by_content: dict[tuple[str, str], int] = {}
            local_uid: dict[int, str] = {}
            for cid, uid, key, chash in conn.exec_driver_sql(
                "SELECT c.id, c.uid, d.key, c.content_hash FROM card c JOIN deck d ON d.id = c.deck_id"
            ):
                by_uid[uid] = cid
                by_content.setdefault((key, chash), cid)
                local_uid[cid] = uid
            # map each exported card uid to a local card id
            resolved: dict[str, int | None] = {}

            def resolve(card_uid: str) -> int | None:
                if card_uid in resolved:
                    return resolved[card_uid]
                cid = by_uid.get(card_uid)
                if cid is not None:
                    report.matched_by_uid += 1
                else:
                    ec = data.cards.get(card_uid)
                    if ec is not None:
                        cid = by_content.get((ec.deck_key, ec.content_hash))
                        if cid is not None:
                            report.matched_by_content += 1
                resolved[card_uid] = cid
                return cid

            present: set[str] = set()
            uids = [r.uid for r in data.log]
            for chunk in _chunks(uids, 900):
                present.update(
                    r[0] for r in conn.exec_driver_sql(
                        f"SELECT uid FROM review_log WHERE uid IN ({','.join('?' * len(chunk))})", tuple(chunk)
                    )
                )
            new_events: dict[int, list[Event]] = defaultdict(list)
            unknown: dict[str, int] = defaultdict(int)
            for i, row in enumerate(data.log):
                if row.uid in present:
                    report.already_present += 1
                    continue
                cid = resolve(row.card_uid)
                if cid is None:
                    unknown[row.card_uid] += 1
                    continue
                new_events[cid].append(Event(row.uid, row.reviewed_at, row.day, row.grade, row.duration_ms, order=i))
            # suspended / buried flags are not in the log: a card suspended on either side stays
            # suspended, and buried_until takes the later day
            flags: dict[int, tuple[bool, str | None]] = {}
            flag_ids = [cid for uid in data.flags if (cid := resolve(uid)) is not None]
            current = _card_rows(conn, flag_ids) if flag_ids else {}
            for uid, (susp, buried) in data.flags.items():
                cid = resolve(uid)
                if cid is None or cid not in current:
                    continue
                _, _, l_susp, l_buried, _ = current[cid]
                merged = (bool(l_susp) or susp, max(filter(None, (l_buried, buried)), default=None))
                if merged != (bool(l_susp), l_buried):
                    flags[cid] = merged
            touched = sorted(set(new_events) | set(flags))
            inserted, fixed = _replay_and_write(
                conn, touched, leech_at=leech_at, new_events=new_events, card_uids=local_uid, flags=flags
            )
            report.added = inserted
            report.log_rows_fixed = fixed
            report.cards_replayed = len(touched)
            for uid, n in unknown.items():
                ec = data.cards.get(uid)
                report.unknown.append(
                    UnknownCard(uid=uid, deck_key=ec.deck_key if ec else "", front=(ec.front if ec else "")[:80],
                                reviews=n)
                )
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report
