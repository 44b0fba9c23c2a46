"""Sync events recorded on this device (``docs/sync.md``): one row of ``sync_outbox`` per
answer, undo, bury, suspend or unsuspend, written in the transaction of the change itself, so
an answer and its event are on disk together. :mod:`studyllm.store.sync` appends the rows to the
device's journal in the sync folder. Imports nothing of the store's faces (the service calls it)."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from studyllm.store.settings import SCHEDULER_KEYS, TRAVELLING

FOLDER_KEY = "sync_folder"  # meta rows: the sync folder, the last sync, the last seq pushed
LAST_KEY = "sync_last"
PUSHED_KEY = "sync_pushed"
LOCAL_DIR = "sync-decks"  # in the home: the deck files that came through the sync folder
# the settings that follow the learner from machine to machine (last write wins), marked in
# studyllm.store.settings; the others (deck_folders, backups_keep, max_deck_mb, theme) are about
# this machine. Among them, SCHEDULER_KEYS: each change is also kept as a point of the merged
# timeline (``schedv:`` rows of sync_stamp), so every home replays each answer under the
# scheduler in force when it was given (studyllm.store.replay.Timeline, docs/sync.md)
SYNCED_SETTINGS = TRAVELLING
SCHED_POINT = "schedv:"  # sync_stamp rows: one per change of a scheduler setting, never replaced
DEVICE_KEY = "sync_device"  # the meta row holding this home's device id (set when sync is turned on)

_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def device_id(raw: sqlite3.Connection) -> str | None:
    """This home's device id, or ``None`` while sync is off."""
    row = raw.execute("SELECT value FROM meta WHERE key = ?", (DEVICE_KEY,)).fetchone()
    return row[0] if row else None


def emit(raw: sqlite3.Connection, dev: str, at: str, event: dict[str, Any], stamp: str | None = None,
         value: str = "") -> int:
    """Record one event (inside the caller's transaction); ``stamp`` names its last-write-wins
    slot (``bury:<card uid>``...), stamped with this event so an older remote one can't win.

    A local write comes after what this home has seen: when a stamp merged from another device
    is at or after ``at`` (that device's clock is ahead), the event is dated one microsecond past
    it, so the write wins here and on every other home alike (``docs/sync.md``, clock skew)."""
    if event.get("t") == "setting" and event.get("key") in SCHEDULER_KEYS:
        # a scheduler change comes after every answer this home has (the switch rescheduled
        # them all), even one merged from a clock ahead or given at this very instant
        row = raw.execute("SELECT max(reviewed_at) FROM review_log").fetchone()
        if row[0] is not None and _instant(row[0]) >= _instant(at):
            at = (_instant(row[0]) + timedelta(microseconds=1)).isoformat()
    if stamp is not None:
        row = raw.execute("SELECT at FROM sync_stamp WHERE name = ?", (stamp,)).fetchone()
        if row is not None and _instant(row[0]) >= _instant(at):
            at = (_instant(row[0]) + timedelta(microseconds=1)).isoformat()
    seq = raw.execute("INSERT INTO sync_outbox (at, body) VALUES (?, ?)", (at, _encode({**event, "at": at}))).lastrowid
    assert seq is not None
    if event.get("t") == "setting" and event.get("key") in SCHEDULER_KEYS:
        record_sched_point(raw, event["key"], at, dev, seq, value)
    if stamp is not None:
        raw.execute(
            "INSERT INTO sync_stamp (name, at, dev, seq, value) VALUES (?,?,?,?,?) ON CONFLICT(name) DO UPDATE"
            " SET at = excluded.at, dev = excluded.dev, seq = excluded.seq, value = excluded.value",
            (stamp, at, dev, seq, value),
        )
    return seq


def record_sched_point(raw: sqlite3.Connection, key: str, at: str, dev: str, seq: int, value: str) -> bool:
    """Keep one change of a scheduler setting (``value``: its JSON text) as a point of the
    timeline; returns whether it was new here."""
    cur = raw.execute("INSERT OR IGNORE INTO sync_stamp (name, at, dev, seq, value) VALUES (?,?,?,?,?)",
                      (f"{SCHED_POINT}{key}|{dev}|{seq}", at, dev, seq, value))
    return cur.rowcount > 0


def card_ref(raw: sqlite3.Connection, card_id: int) -> dict[str, str]:
    """The card's identity as another home matches it: uid, deck key, content hash."""
    uid, chash, key = raw.execute(
        "SELECT c.uid, c.content_hash, d.key FROM card c JOIN deck d ON d.id = c.deck_id WHERE c.id = ?", (card_id,)
    ).fetchone()
    return {"card": uid, "deck": key, "hash": chash}


def _instant(at: str) -> datetime:
    t = datetime.fromisoformat(at)
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def local_dir(store: Any) -> Path | None:
    """``<home>/sync-decks`` of a store (``None`` for one without a file)."""
    return None if store.path is None else Path(store.path).parent / LOCAL_DIR


def is_sync_copy(store: Any, path: str | Path) -> bool:
    """Is ``path`` a deck file this home got from the sync folder (in ``<home>/sync-decks``)?"""
    d = local_dir(store)
    if d is None or not path:
        return False
    try:
        return Path(path).resolve().is_relative_to(d.resolve())
    except OSError:
        return False


def emit_link(raw: sqlite3.Connection, at: str, old_id: int, new_id: int, on: bool) -> None:
    """A confirmed link of a rewritten card (``on``), or its undo, as a ``link`` event, while sync is on."""
    dev = device_id(raw)
    if dev is None:
        return
    old, new = card_ref(raw, old_id), card_ref(raw, new_id)
    emit(raw, dev, at, {"t": "link", "on": on, "old": old, "new": new}, stamp="link:" + old["card"],
         value="1" if on else "0")


PUBLISHED = "sync_deckpub:"  # meta rows: the hash this home last published for a deck key
DECK_EXT = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


def deck_suffix(path: Path) -> str:
    return path.suffix.lower() if DECK_EXT.match(path.suffix) else ".md"


def is_shipped(path: str | Path) -> bool:
    from studyllm.paths import shipped_decks_dir

    shipped = shipped_decks_dir()
    return shipped is not None and Path(path).resolve().is_relative_to(shipped.resolve())


def publish_deck(raw: sqlite3.Connection, store: Any, key: str, path: Path, data: bytes, digest: str) -> bool:
    """Inside the caller's write transaction: put this version of the learner's deck ``key``
    (the bytes of ``path`` as imported) into the sync folder, content-addressed and written
    atomically, with its ``deck`` event; nothing while sync is off, for a shipped deck, a copy
    from the folder, or a version already published. Returns whether it published."""
    from studyllm.store.atomic import atomic_path

    dev = device_id(raw)
    folder_row = raw.execute("SELECT value FROM meta WHERE key = 'sync_folder'").fetchone()
    if dev is None or folder_row is None or is_shipped(path) or is_sync_copy(store, path):
        return False
    row = raw.execute("SELECT value FROM meta WHERE key = ?", (PUBLISHED + key,)).fetchone()
    if row is not None and row[0] == digest:
        return False
    ext = deck_suffix(path)
    target = Path(folder_row[0]) / "decks" / f"{digest}{ext}"
    if not target.exists():
        with atomic_path(target) as tmp:
            tmp.write_bytes(data)
    at = datetime.now(UTC).isoformat() if getattr(store, "clock", None) is None else store.utc_now_iso()
    emit(raw, dev, at, {"t": "deck", "deck": key, "hash": digest, "ext": ext, "name": path.name[:200]},
         stamp="deck:" + key, value=json.dumps({"hash": digest, "ext": ext}))
    raw.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (PUBLISHED + key, digest))
    return True


def folder_of(store: Any) -> Path | None:
    """This home's sync folder, ``None`` while sync is off (one meta row; light, as below)."""
    with store.database.connect() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (FOLDER_KEY,)).fetchone()
    return Path(row[0]) if row and row[0] else None


def last_sync(store: Any) -> tuple[str | None, str | None, int]:
    """(folder, last sync instant, events waiting to be sent): cheap, for the home screen. It
    lives here, not in :mod:`studyllm.store.sync`, because that module brings the importer
    and the parser (about 90 ms of the TUI start) only to read three meta rows."""
    with store.database.connect() as conn:
        rows = dict(conn.execute("SELECT key, value FROM meta WHERE key IN (?, ?, ?)",
                                 (FOLDER_KEY, LAST_KEY, PUSHED_KEY)).fetchall())
        folder, last = rows.get(FOLDER_KEY), rows.get(LAST_KEY)
        pushed = int(rows.get(PUSHED_KEY) or 0)
        out = conn.execute("SELECT count(*) FROM sync_outbox WHERE seq > ?", (pushed,)).fetchone()[0] if folder else 0
    return folder, last, out
