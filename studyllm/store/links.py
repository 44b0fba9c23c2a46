"""Confirmed rewrites: move one card's answers onto another card, and undo it.

``link`` moves the review log of an archived card (OLD) onto the card that holds its new
text (NEW) and rebuilds NEW's schedule by replaying the combined log, the way a merge
replays a card's log. What was there before (both state rows and every log row involved) is
kept in the ``card_link`` row, so ``unlink`` puts it all back exactly; answers given to NEW
after the link stay with NEW, and both cards are then rebuilt from their own logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from studyllm.schedule import QUEUE_ARCHIVED, queue_for
from studyllm.store.db import Connection, StoreError, dumps, write_tx
from studyllm.store.service import Store
from studyllm.store.sync_events import emit_link

_STATE_COLS = (
    "card_id deck_id position queue repetitions ef_centi interval due_day reviews lapses "
    "last_reviewed_at drill_day buried_until suspended leech fsrs_state sm2_saved"
).split()
_LOG_COLS = (
    "id card_id card_uid kind reps_before ef_before interval_before due_before reps_after ef_after "
    "interval_after due_after state_before fsrs_after"
).split()


class LinkError(StoreError):
    """A link or unlink that cannot be done (the message says why); nothing was changed."""


@dataclass(frozen=True)
class CardRef:
    id: int
    uid: str
    front: str
    archived: bool
    deck_key: str


def find_card(store: Store, ref: str) -> CardRef:
    """A card by uid, or by a unique uid prefix of at least 6 characters."""
    ref = ref.strip()
    with store.database.connect() as conn:
        return _find(conn, ref)


def _find(conn: Connection, ref: str) -> CardRef:
    sql = ("SELECT c.id, c.uid, c.front, c.archived, d.key FROM card c JOIN deck d ON d.id = c.deck_id"
           " WHERE c.uid {} ORDER BY c.uid LIMIT 2")
    rows = conn.execute(sql.format("= ?"), (ref,)).fetchall()
    if not rows and len(ref) >= 6:
        escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = conn.execute(sql.format("LIKE ? ESCAPE '\\'"), (escaped + "%",)).fetchall()
    if not rows:
        raise LinkError(f"no card with uid {ref!r} (`studyllm import --verbose` or `--json` shows card uids)")
    if len(rows) > 1:
        raise LinkError(f"{ref!r} names more than one card; give more of its uid")
    r = rows[0]
    return CardRef(id=r[0], uid=r[1], front=r[2], archived=bool(r[3]), deck_key=r[4])


def _state(conn: Connection, card_id: int) -> dict[str, Any]:
    row = conn.execute(f"SELECT {', '.join(_STATE_COLS)} FROM card_state WHERE card_id = ?",
                               (card_id,)).fetchone()
    if row is None:
        raise LinkError(f"card {card_id} has no state row")
    return dict(zip(_STATE_COLS, row, strict=True))


def _logs(conn: Connection, card_id: int) -> list[dict[str, Any]]:
    return [dict(zip(_LOG_COLS, r, strict=True)) for r in conn.execute(
        f"SELECT {', '.join(_LOG_COLS)} FROM review_log WHERE card_id = ? ORDER BY id", (card_id,))]


def _rebuild(conn: Connection, store: Store, card_ids: list[int]) -> None:
    from studyllm.store.replay import replay_and_write

    replay_and_write(conn, card_ids, leech_at=store.setting("leech_lapses"))


def link_cards(conn: Connection, store: Store, old_id: int, new_id: int, *, synced: bool = True) -> int:
    """Inside a write transaction: move OLD's answers onto NEW and rebuild NEW's schedule.
    Returns the number of answers moved. ``synced``: record it as a sync event (not when the
    link came from another machine's journal)."""
    if old_id == new_id:
        raise LinkError("a card cannot be linked to itself")
    row = conn.execute(
        "SELECT (SELECT archived FROM card WHERE id = ?), (SELECT uid FROM card WHERE id = ?),"
        " (SELECT 1 FROM card_link WHERE new_card_id = ? OR old_card_id = ?),"
        " (SELECT 1 FROM card_link WHERE old_card_id = ?)",
        (old_id, new_id, new_id, old_id, new_id),
    ).fetchone()
    old_archived, new_uid, busy, new_is_old = row
    if old_archived is None or new_uid is None:
        raise LinkError("no such card")
    if not old_archived:
        raise LinkError("the old card is still in its deck file; only an archived card's history can move "
                        "(remove it from the file, or import the edit first)")
    if busy or new_is_old:
        raise LinkError("one of these cards is already part of a link; unlink it first")
    moved = _logs(conn, old_id)
    snapshot = {"old_state": _state(conn, old_id), "new_state": _state(conn, new_id), "moved": moved,
                "new_logs": _logs(conn, new_id)}
    conn.execute("UPDATE review_log SET card_id = ?, card_uid = ? WHERE card_id = ?", (new_id, new_uid, old_id))
    conn.execute("INSERT INTO card_link (new_card_id, old_card_id, linked_at, snapshot) VALUES (?,?,?,?)",
                         (new_id, old_id, store.utc_now_iso(), dumps(snapshot)))
    _rebuild(conn, store, [old_id, new_id])
    if synced:
        emit_link(conn.raw, store.utc_now_iso(), old_id, new_id, True)
    return len(moved)


def unlink_cards(conn: Connection, store: Store, new_id: int, *, synced: bool = True) -> tuple[int, int]:
    """Inside a write transaction: undo the link onto NEW. Returns (old card id, answers moved back)."""
    row = conn.execute("SELECT old_card_id, snapshot FROM card_link WHERE new_card_id = ?", (new_id,)).fetchone()
    if row is None:
        raise LinkError("this card was not linked to another card (nothing to undo)")
    old_id, snap = row[0], json.loads(row[1])
    old_uid = conn.execute("SELECT uid FROM card WHERE id = ?", (old_id,)).fetchone()[0]
    moved_ids = {r["id"] for r in snap["moved"]}
    own_ids = {r["id"] for r in snap["new_logs"]}
    now_new = {r["id"] for r in _logs(conn, new_id)}
    now_old = {r["id"] for r in _logs(conn, old_id)}
    cols = [c for c in _LOG_COLS if c != "id"]
    sets = ", ".join(f"{c} = ?" for c in cols)
    restore = [r for r in snap["moved"] if r["id"] in now_new] + [r for r in snap["new_logs"] if r["id"] in now_new]
    conn.executemany(f"UPDATE review_log SET {sets} WHERE id = ?",
                         [(*(r[c] for c in cols), r["id"]) for r in restore])
    # the moved rows go back under the old card's uid (card_uid was set from the snapshot)
    conn.execute("UPDATE review_log SET card_uid = ? WHERE card_id = ?", (old_uid, old_id))
    conn.execute("DELETE FROM card_link WHERE new_card_id = ?", (new_id,))
    exact = now_new == moved_ids | own_ids and not now_old
    if exact:  # nothing happened since: put both state rows back as they were
        for key, cid in (("old_state", old_id), ("new_state", new_id)):
            st = dict(snap[key])
            current = _state(conn, cid)
            st["deck_id"], st["position"] = current["deck_id"], current["position"]
            archived = conn.execute("SELECT archived FROM card WHERE id = ?", (cid,)).fetchone()[0]
            if bool(archived) != (st["queue"] == QUEUE_ARCHIVED):
                st["queue"] = queue_for(reviews=st["reviews"], repetitions=st["repetitions"],
                                        suspended=bool(st["suspended"]), archived=bool(archived),
                                        fsrs_state=st.get("fsrs_state"))
            cols_s = [c for c in _STATE_COLS if c != "card_id"]
            conn.execute(f"UPDATE card_state SET {', '.join(f'{c} = ?' for c in cols_s)} WHERE card_id = ?",
                                 (*(st[c] for c in cols_s), cid))
    else:
        _rebuild(conn, store, [old_id, new_id])
    if synced:
        emit_link(conn.raw, store.utc_now_iso(), old_id, new_id, False)
    return old_id, len(moved_ids & now_new)


def link(store: Store, old_ref: str, new_ref: str) -> tuple[CardRef, CardRef, int]:
    """``studyllm link OLD NEW``: returns both cards and the number of answers moved."""
    with write_tx(store.database) as conn:
        old, new = _find(conn, old_ref), _find(conn, new_ref)
        n = link_cards(conn, store, old.id, new.id)
    store._done_cache = None
    return old, new, n


def unlink(store: Store, new_ref: str) -> tuple[CardRef, CardRef, int]:
    """``studyllm unlink NEW``: returns (old card, new card, answers moved back)."""
    with write_tx(store.database) as conn:
        new = _find(conn, new_ref)
        old_id, n = unlink_cards(conn, store, new.id)
        old_uid = conn.execute("SELECT uid FROM card WHERE id = ?", (old_id,)).fetchone()[0]
        old = _find(conn, old_uid)
    store._done_cache = None
    return old, new, n


def links(store: Store) -> list[tuple[CardRef, CardRef, str]]:
    """Every confirmed link: (old card, new card, linked at)."""
    with store.database.connect() as conn:
        rows = conn.execute(
            "SELECT o.uid, n.uid, l.linked_at FROM card_link l JOIN card o ON o.id = l.old_card_id"
            " JOIN card n ON n.id = l.new_card_id ORDER BY l.linked_at").fetchall()
        return [(_find(conn, o), _find(conn, n), at) for o, n, at in rows]
