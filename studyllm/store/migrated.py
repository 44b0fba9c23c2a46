"""Schedules taken over from another tool's files: obsidian-SR's ``<!--SR:!due,interval,ease-->``.

A new card whose deck line carries such a comment starts with that state (due date, interval,
ease), and its log gets one answer marked as migrated (uid ``obsidian-sr:<card uid>``): an
answer with grade 4 on the day of the last review the comment implies (due - interval). Only a
card the import creates takes it, so once imported the comment is ignored, as before.

:func:`take_fsrs_memory` gives an imported card (from Anki or hashcards) the FSRS memory state it
came with, when the ``scheduler`` setting is FSRS.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from studyllm.sm2 import MAX_INTERVAL_DAYS
from studyllm.store import constants as m
from studyllm.store.db import Connection, dumps
from studyllm.store.export_format import MAX_YEAR, MIN_YEAR
from studyllm.store.service import Store

_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def take_sr_schedules(conn: Connection, store: Store, schedules: dict[int, tuple[str, tuple[str, int, int]]]) -> int:
    """Give each new card (id -> (uid, (due, interval, ease))) its schedule. Returns how many."""
    n = 0
    fsrs_mode = store.setting("scheduler") == "fsrs"
    for card_id, (uid, (due, interval, ease)) in schedules.items():
        try:
            due_day = date.fromisoformat(due)
            last = due_day - timedelta(days=max(0, interval))
        except (ValueError, OverflowError):
            continue
        if not (MIN_YEAR <= due_day.year <= MAX_YEAR and MIN_YEAR <= last.year):
            continue  # a hand-edited comment: no schedule a card could have (the card stays new)
        interval = min(interval, MAX_INTERVAL_DAYS)  # the plugin's own maximum is 36,525
        ef = max(130, min(ease, 1000))
        reps = 2 if interval > 1 else 1
        # FSRS mode queues a reviewed card with no FSRS state as a review (schedule.fsrs_queue)
        queue = m.QUEUE_REVIEW if reps >= 2 or fsrs_mode else m.QUEUE_LEARNING
        at = f"{last.isoformat()}T12:00:00.000Z"
        before = conn.execute(
            "SELECT card_id, deck_id, position, queue, repetitions, ef_centi, interval, due_day, reviews, lapses,"
            " last_reviewed_at, drill_day, buried_until, suspended, leech FROM card_state WHERE card_id = ?",
            (card_id,)).fetchone()
        cols = ("card_id", "deck_id", "position", "queue", "repetitions", "ef_centi", "interval", "due_day", "reviews",
                "lapses", "last_reviewed_at", "drill_day", "buried_until", "suspended", "leech")
        cur = conn.execute(
            "INSERT OR IGNORE INTO review_log (uid, card_id, card_uid, reviewed_at, day, grade, duration_ms, kind,"
            " reps_before, ef_before, interval_before, due_before, reps_after, ef_after, interval_after, due_after,"
            " state_before) VALUES (?, ?, ?, ?, ?, 4, 0, 'review', 0, 250, 0, NULL, ?, ?, ?, ?, ?)",
            (f"obsidian-sr:{uid}", card_id, uid, at, last.isoformat(), reps, ef, interval, due,
             dumps(dict(zip(cols, before, strict=True)))))
        if not cur.rowcount:
            continue
        conn.execute(
            "UPDATE card_state SET queue = ?, repetitions = ?, ef_centi = ?, interval = ?, due_day = ?, reviews = 1,"
            " last_reviewed_at = ? WHERE card_id = ?", (queue, reps, ef, interval, due, at, card_id))
        n += 1
    return n


def take_fsrs_memory(conn: Connection, store: Store, card_id: int, *, phase: int, stability: float,
                     difficulty: float, due: datetime, last_review: datetime) -> bool:
    """With the ``scheduler`` setting on FSRS: give an imported card the FSRS memory state it came
    with (Anki's ``cards.data`` ``s``/``d``, or hashcards' last review), due at ``due``. Its SM-2
    fields (already written) are kept in ``sm2_saved`` as an FSRS answer keeps them, standing for
    the card's whole log, so switching back to SM-2 restores them. The last log row carries the
    state as its ``fsrs_after``. Under SM-2 nothing is written (``fsrs_state`` is FSRS mode's
    only; switching to FSRS later replays the imported log) and False is returned."""
    from studyllm.schedule import FsrsState, fsrs_queue, sm2_snapshot
    from studyllm.store import sql

    if store.setting("scheduler") != "fsrs":
        return False
    st = sql.state_dict(conn.execute(sql.SELECT_STATE, (card_id,)).fetchone())
    if st["queue"] == m.QUEUE_ARCHIVED:
        return False
    log = [r[0] for r in conn.execute("SELECT uid FROM review_log WHERE card_id = ? ORDER BY reviewed_at, id",
                                      (card_id,))]
    fs = FsrsState(phase=phase if phase in (1, 2, 3) else 2, step=None if phase == 2 else 0,
                   stability=stability, difficulty=difficulty, due=due.astimezone(UTC),
                   last_review=last_review.astimezone(UTC))
    raw = _JSON(fs.to_json())
    saved = sm2_snapshot(st, log_n=len(log), log_last=log[-1] if log else None)
    queue = fsrs_queue({**st, "fsrs_state": raw}, archived=False)
    conn.execute("UPDATE card_state SET fsrs_state = ?, sm2_saved = ?, queue = ? WHERE card_id = ?",
                 (raw, saved, queue, card_id))
    if log:
        conn.execute("UPDATE review_log SET fsrs_after = ? WHERE uid = ?", (raw, log[-1]))
    return True


def day_start(day: date, store: Store) -> datetime:
    """The instant a study day begins (the rollover hour, local time), as UTC."""
    from datetime import time as dtime

    local = datetime.combine(day, dtime(hour=int(store.setting("rollover_hour"))), tzinfo=store.clock.zone())
    return local.astimezone(UTC)
