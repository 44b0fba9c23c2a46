"""Progress sync through a folder another tool moves (Syncthing, Dropbox, git): ``docs/sync.md``.

Each home appends only to its own journals ``devices/<device>/<yyyy-mm>.jsonl`` (one JSON event
per line, never rewritten) and reads everyone's, from where it stopped (``sync_file``). Answers
merge as a union by uid, undo events remove an answer for good (``sync_undone``), bury/suspend
take the last write by (time, device, seq) (``sync_stamp``), and each touched card is rebuilt
by :func:`studyllm.store.replay.replay_and_write`, the replay the study path's undo and the
export merge use. Events for cards this home doesn't know wait in ``sync_pending``. The read
and the merge of one sync are one write transaction: a crash leaves nothing half-merged.
"""

from __future__ import annotations

import gc
import json
import os
import re
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from studyllm.store import sync_decks
from studyllm.store.db import Connection, StoreError, defer_indexes, restore_indexes, write_tx
from studyllm.store.replay import Event, chunks, replay_and_write
from studyllm.store.service import Store
from studyllm.store.sync_events import (
    DEVICE_KEY,
    FOLDER_KEY,
    LAST_KEY,
    PUSHED_KEY,
    SYNCED_SETTINGS,
    emit,
    emit_link,
    folder_of,
    last_sync,
    record_sched_point,
)

__all__ = ["SyncReport", "SyncStatus", "enable", "sync", "status", "last_sync", "folder_of", "journal_files"]

TAIL_BYTES = 64  # bytes before a file's read position remembered, to notice an edit or truncation
MAX_LINE = 1 << 20
READ_BLOCK = 1 << 18  # bytes of a journal read at once
# a journal and the copies sync tools make of it: "2026-12.jsonl", "2026-12 (conflicted copy ...).jsonl",
# "2026-12.sync-conflict-20261202-101010-ABCDEFG.jsonl", "2026-12.jsonl.orig"...
_JOURNAL = re.compile(r"^\d{4}-\d{2}[^/]*\.jsonl[^/]*$")
_DEVICE = re.compile(r"^[0-9a-f]{6,64}$")


@dataclass
class SyncReport:
    folder: str
    device: str
    pushed: int = 0
    read: int = 0  # complete lines read
    added: int = 0  # answers new to this home
    undone: int = 0
    flags: int = 0
    cards_replayed: int = 0
    pending: int = 0  # events waiting for cards this home doesn't have
    links: int = 0  # links of rewritten cards made or undone here
    settings: int = 0  # settings changed here
    decks_out: int = 0  # learner decks published to the folder
    decks_in: list[str] = field(default_factory=list)  # deck keys imported from the folder
    decks_waiting: list[str] = field(default_factory=list)  # deck files the sync tool has not brought yet
    problems: list[str] = field(default_factory=list)  # damaged lines, edited or truncated journals

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary(self) -> str:
        """One line for the learner (the CLI and the TUI say the same)."""
        parts = [f"{self.pushed} event(s) out", f"{self.added} answer(s) in"]
        if self.undone:
            parts.append(f"{self.undone} undone")
        if self.flags:
            parts.append(f"{self.flags} bury/suspend change(s)")
        if self.decks_in:
            parts.append(f"deck(s) {', '.join(self.decks_in)} arrived")
        if self.pending:
            parts.append(f"{self.pending} event(s) wait for decks this home doesn't have yet")
        return "Synced: " + ", ".join(parts) + "."


@dataclass
class SyncStatus:
    folder: str | None
    device: str | None
    last_sync: str | None
    pending_out: int
    pending_in: int  # complete lines not yet read, plus events waiting for their cards
    devices: list[str]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _meta(conn: Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (key, value))


def enable(store: Store, folder: Path) -> str:
    """Point this home at ``folder`` (created if needed). The first time, a device id is made
    and everything already in the log (and every suspended card) becomes this device's events,
    so the other homes get the history from before sync. Returns the device id."""
    folder = folder.expanduser().resolve()
    try:
        (folder / "devices").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{folder}: can't use this sync folder ({exc.strerror or exc})") from None
    with write_tx(store.database) as conn:
        dev = _meta(conn, DEVICE_KEY)
        if dev is None:
            dev = uuid.uuid4().hex[:16]
            _set_meta(conn, DEVICE_KEY, dev)
            conn.execute(
                "INSERT INTO sync_outbox (at, body) SELECT l.reviewed_at, json_object('t', 'answer', 'uid', l.uid,"
                " 'day', l.day, 'grade', l.grade, 'ms', l.duration_ms, 'card', c.uid, 'deck', d.key,"
                " 'hash', c.content_hash, 'at', l.reviewed_at) FROM review_log l JOIN card c ON c.id = l.card_id"
                " JOIN deck d ON d.id = c.deck_id ORDER BY l.reviewed_at, l.id")
            now = store.utc_now_iso()
            conn.execute(
                "INSERT INTO sync_outbox (at, body) SELECT ?, json_object('t', 'suspend', 'on', json('true'),"
                " 'card', c.uid, 'deck', d.key, 'hash', c.content_hash, 'at', ?) FROM card_state s"
                " JOIN card c ON c.id = s.card_id JOIN deck d ON d.id = c.deck_id WHERE s.suspended = 1", (now, now))
            for old_id, new_id in conn.execute("SELECT old_card_id, new_card_id FROM card_link").fetchall():
                emit_link(conn.raw, now, old_id, new_id, True)  # the links of rewritten cards made before
            _send_scheduler(conn, store, dev, now)
        _set_meta(conn, FOLDER_KEY, str(folder))
    store._sync_dev = dev
    return dev


def _send_scheduler(conn: Connection, store: Store, dev: str, now: str) -> None:
    """When sync is turned on: the scheduler settings this home changed from their defaults
    become its events (dated now), so the learner's scheduler follows them; the cards are then
    replayed under that timeline (the default scheduler until now, this one from now), as every
    other home will replay them. Other settings changed before sync are not sent (a fresh home
    would otherwise overwrite the learner's settings with its defaults; it sends none of these
    either, as it has changed none)."""
    from studyllm.store.db import dumps
    from studyllm.store.settings import SCHEDULER_KEYS, SPECS, validate

    sent = False
    for key, raw in conn.execute("SELECT key, value FROM setting").fetchall():
        if key not in SCHEDULER_KEYS:
            continue
        try:
            value = validate(key, json.loads(raw))
        except (ValueError, TypeError, RecursionError):
            continue
        if value != SPECS[key].default:
            emit(conn.raw, dev, now, {"t": "setting", "key": key, "value": value}, stamp="setting:" + key,
                 value=dumps(value))
            sent = True
    if sent:
        every = sorted(r[0] for r in conn.execute("SELECT DISTINCT card_id FROM review_log"))
        replay_and_write(conn, every, leech_at=store.setting("leech_lapses"), from_start=frozenset(every))


def journal_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """Every journal (and conflict copy of one) under ``devices/``: (relative name, path)."""
    root = folder / "devices"
    if not root.is_dir():
        return
    for dev_dir in sorted(root.iterdir()):
        if not dev_dir.is_dir():
            continue
        for f in sorted(dev_dir.iterdir()):
            if f.is_file() and _JOURNAL.match(f.name):
                yield f"devices/{dev_dir.name}/{f.name}", f


# ------------------------------------------------------------------ push


def _push(conn: Connection, store: Store, folder: Path, dev: str, report: SyncReport) -> int:
    report.decks_out = sync_decks.publish(conn, store, folder, dev)
    pushed = int(_meta(conn, PUSHED_KEY) or 0)
    rows = conn.execute("SELECT seq, at, body FROM sync_outbox WHERE seq > ? ORDER BY seq", (pushed,)).fetchall()
    if not rows:
        return 0
    by_month: dict[str, list[str]] = defaultdict(list)
    for seq, at, body in rows:
        by_month[at[:7]].append(body[:-1] + f',"dev":"{dev}","seq":{seq}}}\n')
    target = folder / "devices" / dev
    target.mkdir(parents=True, exist_ok=True)
    for month, lines in sorted(by_month.items()):
        path = target / f"{month}.jsonl"
        with open(path, "ab+") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size:
                # a line torn by a crash during our own last append: only this device writes here
                fh.seek(max(0, size - MAX_LINE))
                tail = fh.read()
                if not tail.endswith(b"\n"):
                    cut = tail.rfind(b"\n")
                    fh.truncate(size - len(tail) + cut + 1 if cut >= 0 else max(0, size - len(tail)))
                    fh.seek(0, os.SEEK_END)
            fh.write("".join(lines).encode())
            fh.flush()
            os.fsync(fh.fileno())
    last = rows[-1][0]
    conn.execute("DELETE FROM sync_outbox WHERE seq < ?", (last,))  # the newest stays: seq never restarts
    _set_meta(conn, PUSHED_KEY, str(last))
    return len(rows)


# ------------------------------------------------------------------ pull


def _read_new(conn: Connection, rel: str, path: Path, report: SyncReport) -> Iterator[tuple[int, bytes]]:
    """The complete lines of ``path`` after its read position, with their line numbers; the
    position is moved past them. A file shorter than, or changed before, that position (a
    hand edit, a truncation) is reported and read again from the start: events merge once."""
    row = conn.execute("SELECT pos, tail, lines FROM sync_file WHERE path = ?", (rel,)).fetchone()
    pos, tail, lineno = row if row else (0, "", 0)
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        if pos:
            fh.seek(max(0, pos - TAIL_BYTES))
            seen = fh.read(min(pos, TAIL_BYTES))
            if size < pos or seen.hex() != tail:
                what = "shorter than when last read (truncated)" if size < pos else "changed before the part read"
                report.problems.append(f"{rel}: {what}; read again from the start, nothing merged is lost")
                pos, lineno = 0, 0
        # streamed a block at a time (memory stays flat however long the journal is: a block
        # and at most one line); a torn last line (no newline yet) waits until it is whole
        fh.seek(pos)
        rest = b""  # the start of a line whose end is not read yet
        skipping = 0  # inside an overlong line: its bytes so far (skipped whole, once complete)
        while block := fh.read(READ_BLOCK):
            if skipping:
                nl = block.find(b"\n")
                if nl < 0:
                    skipping += len(block)
                    continue
                pos += skipping + nl + 1
                lineno += 1
                skipping = 0
                report.problems.append(f"{rel} line {lineno}: skipped, longer than {MAX_LINE} bytes")
                block = block[nl + 1:]
            lines = (rest + block if rest else block).split(b"\n")
            rest = lines.pop()
            for line in lines:
                pos += len(line) + 1
                lineno += 1
                if len(line) > MAX_LINE:
                    report.problems.append(f"{rel} line {lineno}: skipped, longer than {MAX_LINE} bytes")
                    continue
                yield lineno, line.rstrip(b"\r")
            if len(rest) > MAX_LINE:
                skipping, rest = len(rest), b""
    with open(path, "rb") as fh:
        fh.seek(max(0, pos - TAIL_BYTES))
        new_tail = fh.read(min(pos, TAIL_BYTES)).hex()
    conn.execute("INSERT INTO sync_file (path, pos, tail, lines) VALUES (?,?,?,?) ON CONFLICT(path) DO UPDATE"
                 " SET pos = excluded.pos, tail = excluded.tail, lines = excluded.lines", (rel, pos, new_tail, lineno))


def _instant(v: Any) -> str:
    if not isinstance(v, str) or len(v) > 40:
        raise ValueError("'at' is not an instant")
    if datetime.fromisoformat(v).tzinfo is None:
        raise ValueError("'at' has no time zone")
    return v


def _text(ev: dict[str, Any], key: str) -> str:
    v = ev.get(key)
    if not isinstance(v, str) or not v or len(v) > 1000:
        raise ValueError(f"{key!r} is missing or not text")
    return v


def _answer_ok(ev: dict[str, Any]) -> bool:
    """The common case, checked in one go: a well-formed answer (else :func:`_check` says what is wrong)."""
    try:
        at, dev, seq, uid, day, g = ev["at"], ev["dev"], ev["seq"], ev["uid"], ev["day"], ev["grade"]
        card, deck, chash, ms = ev["card"], ev["deck"], ev["hash"], ev.get("ms", 0)
    except KeyError:
        return False
    if not (type(seq) is int and type(g) is int and 0 <= g <= 5 and type(ms) is int and 0 <= ms < 2**31):
        return False
    for v in (at, dev, uid, day, card, deck, chash):
        if type(v) is not str or not 0 < len(v) <= 1000:
            return False
    try:
        return len(at) <= 40 and datetime.fromisoformat(at).tzinfo is not None and bool(date.fromisoformat(day))
    except ValueError:
        return False


_S = r'"([^"\\\x00-\x1f]+)"'  # a JSON string without escapes (any other goes to json.loads)
# an answer line as a device writes it (sync_events: sorted keys, then dev and seq)
_ANSWER_LINE = re.compile(
    r'\{"at":' + _S + r',"card":' + _S + r',"day":"(\d{4}-\d{2}-\d{2})","deck":' + _S
    + r',"grade":([0-5]),"hash":' + _S + r',"ms":(0|[1-9]\d{0,9}),"t":"answer","uid":' + _S
    + r',"dev":' + _S + r',"seq":(-?(?:0|[1-9]\d{0,17}))\}', re.ASCII)  # (a longer seq: json.loads)
_DAYS_OK: set[str] = set()  # study days of answer lines found valid


def _fast_fields(line: bytes) -> tuple[Any, ...] | None:
    """An answer line in the form devices write, checked without ``json.loads``: (at, card,
    day, deck, grade, hash, ms, uid, dev, seq), or ``None`` for anything else (another key
    order, an escape in a string, a value out of range...), which then goes the slow way
    (``tests/test_sync_bulk.py`` checks the two agree)."""
    try:
        m = _ANSWER_LINE.fullmatch(line.decode())
    except UnicodeDecodeError:
        return None
    if m is None:
        return None
    at, card, day, deck, grade, chash, ms, uid, dev, seq = m.groups()
    # (a text is no longer in characters than the line is in bytes)
    if len(at) > 40 or len(line) > 1000 and max(len(card), len(deck), len(chash), len(uid), len(dev)) > 1000:
        return None
    ms_i = int(ms)
    if ms_i >= 2**31:
        return None
    if day not in _DAYS_OK:  # (a journal has few distinct days: each is checked once)
        try:
            date.fromisoformat(day)
        except ValueError:
            return None
        if len(_DAYS_OK) > 100_000:
            _DAYS_OK.clear()
        _DAYS_OK.add(day)
    try:
        if datetime.fromisoformat(at).tzinfo is None:
            return None
    except ValueError:
        return None
    return at, card, day, deck, int(grade), chash, ms_i, uid, dev, int(seq)


def _fast_answer(line: bytes) -> dict[str, Any] | None:
    """:func:`_fast_fields` as the event :func:`_check` would return."""
    f = _fast_fields(line)
    if f is None:
        return None
    at, card, day, deck, grade, chash, ms, uid, dev, seq = f
    return {"at": at, "card": card, "day": day, "deck": deck, "grade": grade, "hash": chash, "ms": ms,
            "t": "answer", "uid": uid, "dev": dev, "seq": seq}


def _decode(line: bytes) -> dict[str, Any]:
    """One journal line as a checked event; ``ValueError`` (or ``RecursionError``) says what is wrong."""
    return _fast_answer(line) or _check(json.loads(line.decode("utf-8")))


def _check(ev: Any) -> dict[str, Any]:
    """The event, checked; ``ValueError`` says what is wrong."""
    if type(ev) is dict and ev.get("t") == "answer" and _answer_ok(ev):
        return ev
    if not isinstance(ev, dict):
        raise ValueError("not a JSON object")
    t = ev.get("t")
    _instant(ev.get("at"))
    _text(ev, "dev")
    if not isinstance(ev.get("seq"), int) or isinstance(ev.get("seq"), bool):
        raise ValueError("'seq' is not a whole number")
    if t in ("answer", "bury", "suspend"):
        for k in ("card", "deck", "hash"):
            _text(ev, k)
    if t == "answer":
        _text(ev, "uid")
        date.fromisoformat(_text(ev, "day"))
        g, ms = ev.get("grade"), ev.get("ms", 0)
        if not isinstance(g, int) or isinstance(g, bool) or not 0 <= g <= 5:
            raise ValueError("'grade' is not 0-5")
        if not isinstance(ms, int) or isinstance(ms, bool) or not 0 <= ms < 2**31:
            raise ValueError("'ms' is not a duration")
    elif t == "undo":
        _text(ev, "uid")
    elif t == "bury":
        if ev.get("until") is not None:  # null: unburied (an unbury, or the undo of a bury)
            date.fromisoformat(_text(ev, "until"))
    elif t == "suspend":
        if not isinstance(ev.get("on"), bool):
            raise ValueError("'on' is not true or false")
    elif t == "deck":
        sync_decks.check(ev)
    elif t == "link":
        if not isinstance(ev.get("on"), bool):
            raise ValueError("'on' is not true or false")
        for side in ("old", "new"):
            if not isinstance(ev.get(side), dict):
                raise ValueError(f"{side!r} is not a card")
            for k in ("card", "deck", "hash"):
                _text(ev[side], k)
    elif t == "setting":
        _text(ev, "key")
        if "value" not in ev:
            raise ValueError("'value' is missing")
    else:
        raise ValueError(f"unknown event type {t!r}")
    return ev


Cards = dict[tuple[str, str, str], tuple[int | None, int | None]]  # (uid, deck, hash) -> (card id, linked to)


def _card_id(conn: Connection, ev: dict[str, Any], cache: Cards, *, follow_links: bool = True) -> int | None:
    """The local card of an event's card (uid, else deck key and content hash). An answer or a
    flag for a card whose history was linked onto its rewrite goes to the rewrite."""
    key = (ev["card"], ev["deck"], ev["hash"])
    found = cache.get(key)
    if found is None:
        row = conn.execute("SELECT id FROM card WHERE uid = ?", (ev["card"],)).fetchone()
        if row is None:
            row = conn.execute("SELECT c.id FROM card c JOIN deck d ON d.id = c.deck_id WHERE d.key = ?"
                               " AND c.content_hash = ? ORDER BY c.archived, c.id LIMIT 1",
                               (ev["deck"], ev["hash"])).fetchone()
        cid = row[0] if row else None
        to = None
        if cid is not None:
            link = conn.execute("SELECT new_card_id FROM card_link WHERE old_card_id = ?", (cid,)).fetchone()
            to = link[0] if link else None
        found = cache[key] = (cid, to)
    cid, to = found
    return to if follow_links and to is not None else cid


def _stamp_newer(conn: Connection, name: str, ev: dict[str, Any]) -> bool:
    row = conn.execute("SELECT at, dev, seq FROM sync_stamp WHERE name = ?", (name,)).fetchone()
    theirs = (ev["at"], ev["dev"], ev["seq"])
    return row is None or theirs > tuple(row)


def _stamp(conn: Connection, name: str, ev: dict[str, Any], value: str) -> None:
    conn.execute("INSERT INTO sync_stamp (name, at, dev, seq, value) VALUES (?,?,?,?,?) ON CONFLICT(name)"
                 " DO UPDATE SET at = excluded.at, dev = excluded.dev, seq = excluded.seq, value = excluded.value",
                 (name, ev["at"], ev["dev"], ev["seq"], value))


def _settings(conn: Connection, store: Store, events: list[dict[str, Any]], report: SyncReport) -> bool:
    """Settings that follow the learner: the last write by (time, device, seq) wins. Every
    change of a scheduler setting is also kept as a point of the timeline; returns whether a
    point was new here (then every card is replayed under the timeline)."""
    from studyllm.store.db import dumps
    from studyllm.store.settings import SCHEDULER_KEYS, validate

    changed = timeline = False
    for ev in sorted(events, key=lambda e: (e["at"], e["dev"], e["seq"])):
        key = ev["key"]
        if key not in SYNCED_SETTINGS:
            report.problems.append(f"setting {key!r} from device {ev['dev']} is not one that travels; ignored")
            continue
        try:
            value = validate(key, ev["value"])
        except (ValueError, TypeError, RecursionError) as exc:
            report.problems.append(f"setting {key!r} from device {ev['dev']}: {exc}; ignored")
            continue
        if key in SCHEDULER_KEYS and record_sched_point(conn.raw, key, ev["at"], ev["dev"], ev["seq"], dumps(value)):
            timeline = True  # (every point counts, not only the last: answers between them used it)
        if not _stamp_newer(conn, "setting:" + key, ev):
            continue
        conn.execute("INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value ="
                     " excluded.value", (key, dumps(value)))
        _stamp(conn, "setting:" + key, ev, dumps(value))
        report.settings += 1
        changed = True
    if changed:
        store._settings_cache = None
    return timeline


def _links(conn: Connection, store: Store, events: list[tuple[str, dict[str, Any], bytes]],
           park: Callable[[dict[str, Any], bytes, str], None], report: SyncReport) -> None:
    """Links of rewritten cards (issue #16) and their undo: the last by (time, device, seq) of
    an old card wins. A link waits (``sync_pending``) until both cards are here and the old one
    is archived (this home has imported the deck's edit)."""
    from studyllm.store.links import LinkError, link_cards, unlink_cards

    cache: Cards = {}
    for source, ev, line in sorted(events, key=lambda p: (p[1]["at"], p[1]["dev"], p[1]["seq"])):
        name = "link:" + ev["old"]["card"]
        if not _stamp_newer(conn, name, ev):
            continue
        old = _card_id(conn, ev["old"], cache, follow_links=False)
        new = _card_id(conn, ev["new"], cache, follow_links=False)
        if old is None or new is None:
            park(ev, line, source)
            continue
        linked = conn.execute("SELECT new_card_id FROM card_link WHERE old_card_id = ?", (old,)).fetchone()
        try:
            if ev["on"] and linked is None:
                archived = conn.execute("SELECT archived FROM card WHERE id = ?", (old,)).fetchone()[0]
                if not archived:
                    park(ev, line, source)  # this home has not imported the edit yet
                    continue
                link_cards(conn, store, old, new, synced=False)
                report.links += 1
            elif not ev["on"] and linked is not None and linked[0] == new:
                unlink_cards(conn, store, new, synced=False)
                report.links += 1
        except LinkError as exc:
            report.problems.append(f"{source}: the link of card {ev['old']['card']} could not be made here: {exc}")
            continue
        _stamp(conn, name, ev, "1" if ev["on"] else "0")


# page caches of a merge (KiB): the log's indexes on random keys (uids) and the staging table
# stay in memory instead of being read back from the WAL and the temporary file; pages are
# only allocated as used, the main one is put back after the transaction (db.write_tx)
MERGE_CACHE_KIB = 64 * 1024
STAGING_CACHE_KIB = 32 * 1024


# A merge of at least this many answers, more than the log holds, builds the log's indexes that
# the merge itself never reads (by day, by instant) after its inserts instead of during them:
# a sort of the finished log instead of an insert on a random page per answer.
BULK_ANSWERS = 50_000
DEFERRABLE_LOG_INDEXES = ("ix_log_day", "ix_log_reviewed_at")


def _defer_log_indexes(conn: Connection) -> list[str]:
    """Inside the merge's transaction: drop the deferrable log indexes for a bulk merge and
    return the statements that make them again (a crash rolls the drop back with the rest)."""
    incoming = conn.execute("SELECT count(*) FROM temp.sync_stage").fetchone()[0]
    if incoming < BULK_ANSWERS:
        return []
    if conn.execute("SELECT count(*) FROM review_log").fetchone()[0] >= incoming:
        return []
    return defer_indexes(conn, ("review_log",), DEFERRABLE_LOG_INDEXES)


def _drop_copies(conn: Connection) -> None:
    """Of the staged answers sharing a uid (a line read twice, a conflict copy), keep the first."""
    conn.execute("CREATE INDEX IF NOT EXISTS temp.sync_stage_uid ON sync_stage (uid)")
    for (dup,) in conn.execute("SELECT uid FROM temp.sync_stage GROUP BY uid HAVING count(*) > 1").fetchall():
        conn.execute("DELETE FROM temp.sync_stage WHERE uid = ? AND rowid > (SELECT min(rowid) FROM temp.sync_stage"
                     " WHERE uid = ?)", (dup, dup))


def _replay_stage(conn: Connection, others: set[int], flags: dict[int, tuple[bool, str | None]],
                  from_start: set[int], leech_at: int) -> tuple[int, int]:
    """Replay the cards with staged answers and ``others``, writing the new log rows and the
    states: (answers added, cards replayed)."""
    touched = others | {r[0] for r in conn.execute("SELECT DISTINCT card_id FROM temp.sync_stage")}
    added = 0
    for chunk in chunks(sorted(touched), 500):  # a chunk's new answers are in memory at once
        marks = ",".join("?" * len(chunk))
        new_events: dict[int, list[Event]] = defaultdict(list)
        for i, (cid, uid, at, day, grade, ms) in enumerate(conn.execute(
                f"SELECT card_id, uid, at, day, grade, ms FROM temp.sync_stage WHERE card_id IN ({marks})"
                " ORDER BY card_id, at, uid", chunk)):
            new_events[cid].append(Event(uid, at, day, grade, ms, i))
        uids = dict(conn.execute(f"SELECT id, uid FROM card WHERE id IN ({marks})", chunk).fetchall())
        inserted, _fixed = replay_and_write(conn, chunk, leech_at=leech_at, new_events=new_events, card_uids=uids,
                                            flags={c: flags[c] for c in chunk if c in flags},
                                            from_start=from_start)
        added += inserted
    return added, len(touched)


def _pull(conn: Connection, store: Store, folder: Path, report: SyncReport) -> None:
    # no cyclic garbage collection during the merge: it makes only acyclic rows and events,
    # a few per answer, and the collector's passes over them were about 3 % of its time
    enabled = gc.isenabled()
    gc.disable()
    try:
        _merge(conn, store, folder, report)
    finally:
        if enabled:
            gc.enable()


def _merge(conn: Connection, store: Store, folder: Path, report: SyncReport) -> None:
    before = conn.execute("PRAGMA main.cache_size").fetchone()[0]
    if (-before if before < 0 else before * 4) < MERGE_CACHE_KIB:
        conn.info.setdefault("cache_size_before", before)
        conn.execute(f"PRAGMA main.cache_size = {-MERGE_CACHE_KIB}")
    # The incoming answers are staged in a temporary table (memory stays flat however many
    # there are), with no index while they go in: the uid index (a line read twice, a conflict
    # copy: the first copy is kept) and the index that reads them back card by card, in the
    # replay's order (time, then uid) and covering the columns read (no lookup of each row in
    # the table), are each built once they are all in (one sort, cheaper than keeping an
    # index on random keys up to date row by row). Device and seq are not staged: a card's
    # answers are replayed by (time, uid) whoever gave them.
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS sync_stage (uid TEXT NOT NULL, card_id INTEGER, at TEXT,"
                 " day TEXT, grade INTEGER, ms INTEGER)")
    conn.execute("DROP INDEX IF EXISTS temp.sync_stage_uid")
    conn.execute("DROP INDEX IF EXISTS temp.sync_stage_card")
    conn.execute("DELETE FROM temp.sync_stage")
    conn.execute(f"PRAGMA temp.cache_size = {-STAGING_CACHE_KIB}")
    cache: Cards = {}
    touched: set[int] = set()
    flags: list[tuple[str, dict[str, Any]]] = []
    undo: set[str] = set()
    decks: list[dict[str, Any]] = []
    settings_in: list[dict[str, Any]] = []
    links_in: list[tuple[str, dict[str, Any], bytes]] = []

    def park(ev: dict[str, Any], line: bytes, source: str) -> None:
        uid = ev.get("uid") or f"{ev['t']}:{ev['dev']}:{ev['seq']}"
        conn.execute("INSERT OR IGNORE INTO sync_pending (uid, line, source) VALUES (?,?,?)",
                     (uid, line.decode(), source))

    answers: list[tuple[Any, ...]] = []
    stage = "INSERT INTO temp.sync_stage VALUES (?,?,?,?,?,?)"

    def handle(source: str, ev: dict[str, Any], line: bytes) -> None:
        t = ev["t"]
        if t == "undo":
            undo.add(ev["uid"])
        elif t == "deck":
            decks.append(ev)
        elif t == "setting":
            settings_in.append(ev)
        elif t == "link":
            links_in.append((source, ev, line))
        elif (cid := _card_id(conn, ev, cache)) is None:
            park(ev, line, source)
        elif t == "answer":
            answers.append((ev["uid"], cid, ev["at"], ev["day"], ev["grade"], ev.get("ms", 0)))
        else:
            flags.append((source, {**ev, "card_id": cid}))

    # events waiting for their cards first, then what is new in the folder
    # (taken out first: those still waiting are parked again below)
    waiting = conn.execute("SELECT uid, line, source FROM sync_pending").fetchall()
    conn.execute("DELETE FROM sync_pending")
    for _uid, text, source in waiting:
        handle(source, json.loads(text), text.encode())  # (a str: json.loads of bytes sniffs the encoding)
    for rel, path in journal_files(folder):
        for n, line in _read_new(conn, rel, path, report):
            report.read += 1
            f = _fast_fields(line)
            if f is not None:  # the usual line, an answer as devices write it: straight to the stage
                found = cache.get((f[1], f[3], f[5]))
                if found is not None and found[0] is not None:
                    answers.append((f[7], found[1] if found[1] is not None else found[0], f[0], f[2], f[4], f[6]))
                    if len(answers) >= 5000:
                        conn.executemany(stage, answers)
                        answers.clear()
                    continue
            try:
                ev = _decode(line)
            except (ValueError, RecursionError) as exc:
                report.problems.append(f"{rel} line {n}: skipped, {exc}")
                continue
            handle(f"{rel} line {n}", ev, line)
            if len(answers) >= 5000:
                conn.executemany(stage, answers)
                answers.clear()
    conn.executemany(stage, answers)
    # a bulk merge leaves the copies of one uid (a conflict copy of a journal: rare) to the
    # log's own uid index, which refuses the second (see _replay_stage); a small one drops
    # them here, the uid index of the stage costing little there
    bulk = conn.execute("SELECT count(*) FROM temp.sync_stage").fetchone()[0] >= BULK_ANSWERS
    if not bulk:
        _drop_copies(conn)
    # undo: remembered for good, the answer removed here if it was merged before
    conn.executemany("INSERT OR IGNORE INTO sync_undone (uid) VALUES (?)", [(u,) for u in undo])
    lost_rows: set[int] = set()  # cards whose log lost an answer here: replayed from the start
    for ucs in chunks(sorted(undo)):
        marks = ",".join("?" * len(ucs))
        lost_rows.update(r[0] for r in conn.execute(f"SELECT card_id FROM review_log WHERE uid IN ({marks})", ucs))
        report.undone += conn.execute(f"DELETE FROM review_log WHERE uid IN ({marks})", ucs).rowcount
    # (EXISTS on each table's uid index: "uid IN (SELECT uid ...)" would read the whole log)
    conn.execute("DELETE FROM temp.sync_stage WHERE EXISTS (SELECT 1 FROM main.review_log l"
                 " WHERE l.uid = sync_stage.uid) OR EXISTS (SELECT 1 FROM main.sync_undone u"
                 " WHERE u.uid = sync_stage.uid)")
    # bury / suspend: the last write by (time, device, seq) wins
    state: dict[int, tuple[bool, str | None]] = {}
    for _source, ev in sorted(flags, key=lambda p: (p[1]["at"], p[1]["dev"], p[1]["seq"])):
        name = f"{ev['t']}:{ev['card']}"
        if not _stamp_newer(conn, name, ev):
            continue
        cid = ev["card_id"]
        if cid not in state:
            r = conn.execute("SELECT suspended, buried_until FROM card_state WHERE card_id = ?", (cid,)).fetchone()
            state[cid] = (bool(r[0]), r[1])
        susp, buried = state[cid]
        value = (ev.get("until") or "") if ev["t"] == "bury" else ("1" if ev["on"] else "0")
        state[cid] = (ev["on"], buried) if ev["t"] == "suspend" else (susp, ev.get("until"))
        conn.execute("INSERT INTO sync_stamp (name, at, dev, seq, value) VALUES (?,?,?,?,?) ON CONFLICT(name)"
                     " DO UPDATE SET at = excluded.at, dev = excluded.dev, seq = excluded.seq, value = excluded.value",
                     (name, ev["at"], ev["dev"], ev["seq"], value))
        report.flags += 1
    touched.update(state)
    touched.update(lost_rows)
    if _settings(conn, store, settings_in, report):
        # a scheduler change merged in: each card's answers may now belong to another
        # scheduler's time, so every card with a log is replayed under the timeline
        every = {r[0] for r in conn.execute("SELECT DISTINCT card_id FROM review_log")}
        touched.update(every)
        lost_rows.update(every)
    # decks: the last version published by (time, device, seq) wins; materialize() imports it
    for ev in sorted(decks, key=lambda e: (e["at"], e["dev"], e["seq"])):
        # every version is kept (materialize() imports them in order, as the learner did)
        conn.execute("INSERT OR IGNORE INTO sync_stamp (name, at, dev, seq, value) VALUES (?,?,?,?,?)",
                     (f"deckv:{ev['deck']}|{ev['dev']}|{ev['seq']}", ev["at"], ev["dev"], ev["seq"],
                      json.dumps({"hash": ev["hash"], "ext": ev["ext"]})))
        name = "deck:" + ev["deck"]
        if _stamp_newer(conn, name, ev):
            conn.execute("INSERT INTO sync_stamp (name, at, dev, seq, value) VALUES (?,?,?,?,?) ON CONFLICT(name)"
                         " DO UPDATE SET at = excluded.at, dev = excluded.dev, seq = excluded.seq,"
                         " value = excluded.value",
                         (name, ev["at"], ev["dev"], ev["seq"], json.dumps({"hash": ev["hash"], "ext": ev["ext"]})))
    conn.execute("CREATE INDEX temp.sync_stage_card ON sync_stage (card_id, at, uid, day, grade, ms)")
    deferred = _defer_log_indexes(conn)
    leech_at = store.setting("leech_lapses")
    if bulk:
        conn.execute("SAVEPOINT sync_bulk")
        try:
            added, replayed = _replay_stage(conn, touched, state, lost_rows, leech_at)
        except sqlite3.IntegrityError as exc:
            if "review_log.uid" not in str(exc):
                raise
            # two copies of one uid among the new answers: undo the inserts, drop the later
            # copies, and replay again (the same result as a merge that dropped them first)
            conn.execute("ROLLBACK TO sync_bulk")
            _drop_copies(conn)
            added, replayed = _replay_stage(conn, touched, state, lost_rows, leech_at)
        conn.execute("RELEASE sync_bulk")
    else:
        added, replayed = _replay_stage(conn, touched, state, lost_rows, leech_at)
    report.added += added
    report.cards_replayed = replayed
    restore_indexes(conn, deferred)  # (the same statements as dropped: the schema is unchanged)
    _links(conn, store, links_in, park, report)
    report.pending = conn.execute("SELECT count(*) FROM sync_pending").fetchone()[0]
    conn.execute("DELETE FROM temp.sync_stage")


def sync(store: Store, folder: Path | None = None, *, progress: Callable[[str], None] | None = None) -> SyncReport:
    """Push this device's new events, then merge everyone's: one write transaction for the
    merge (and the cursors), so a crash half-way merges nothing and loses nothing.
    ``progress`` is told each step ("sending", "reading", "decks") as it starts."""
    say = progress or (lambda _label: None)
    if folder is not None:
        enable(store, folder)
    folder = folder_of(store)
    if folder is None:
        raise StoreError("no sync folder yet: run `studyllm sync --folder PATH` once")
    if not (folder / "devices").is_dir():
        raise StoreError(f"{folder}: the sync folder is missing (not mounted, or moved?); nothing was changed")
    with write_tx(store.database) as conn:
        dev = _meta(conn, DEVICE_KEY)
        assert dev is not None  # enable() made it
        report = SyncReport(folder=str(folder), device=dev)
        say("sending this machine's answers")
        report.pushed = _push(conn, store, folder, dev, report)
    say("reading the other machines' journals and merging")
    try:
        with write_tx(store.database) as conn:
            _pull(conn, store, folder, report)
            _set_meta(conn, LAST_KEY, store.utc_now_iso())
    except OverflowError:
        # SM-2 intervals have no upper bound: dozens of good answers in a row on one card
        # (a hand-made journal) grow one past what SQLite stores; the transaction is rolled back
        raise StoreError("the merge was stopped: the journals' answers grow a card's interval past what can be"
                         " stored (very many good answers in a row on one card); nothing was merged") from None
    say("looking for decks from the other machines")
    arrivals = sync_decks.materialize(store, folder, dev)
    report.decks_in, report.decks_waiting = arrivals.imported, arrivals.waiting
    report.problems += arrivals.problems
    if arrivals.imported:  # the events that waited for these decks' cards land now
        with write_tx(store.database) as conn:
            _pull(conn, store, folder, report)
    store._done_cache = None
    store._settings_cache = None  # settings merged in (read again once committed)
    return report


def status(store: Store) -> SyncStatus:
    folder = folder_of(store)
    with store.database.connect() as conn:
        dev = _meta(conn, DEVICE_KEY)
        last = _meta(conn, LAST_KEY)
        pushed = int(_meta(conn, PUSHED_KEY) or 0)
        out = conn.execute("SELECT count(*) FROM sync_outbox WHERE seq > ?", (pushed,)).fetchone()[0]
        pending = conn.execute("SELECT count(*) FROM sync_pending").fetchone()[0]
        cursors = {p: pos for p, pos in conn.execute("SELECT path, pos FROM sync_file")}
    unread = 0
    devices: list[str] = []
    if folder is not None:
        for rel, path in journal_files(folder):
            devices.append(rel.split("/")[1])
            with open(path, "rb") as fh:
                fh.seek(cursors.get(rel, 0))
                unread += fh.read().count(b"\n")
    return SyncStatus(folder=str(folder) if folder else None, device=dev, last_sync=last, pending_out=out,
                      pending_in=unread + pending, devices=sorted(set(devices)))
