"""Schedules taken over from another tool's files: obsidian-SR's ``<!--SR:!due,interval,ease-->``.

A new card whose deck line carries such a comment starts with that state (due date, interval,
ease), and its log gets one answer marked as migrated (uid ``obsidian-sr:<card uid>``): an
answer with grade 4 on the day of the last review the comment implies (due - interval). Only a
card the import creates takes it, so once imported the comment is ignored, as before.
"""

from __future__ import annotations

from datetime import date, timedelta

from studyllm.store import constants as m
from studyllm.store.db import Connection, dumps
from studyllm.store.service import Store


def take_sr_schedules(conn: Connection, store: Store, schedules: dict[int, tuple[str, tuple[str, int, int]]]) -> int:
    """Give each new card (id -> (uid, (due, interval, ease))) its schedule. Returns how many."""
    n = 0
    for card_id, (uid, (due, interval, ease)) in schedules.items():
        try:
            due_day = date.fromisoformat(due)
            last = due_day - timedelta(days=max(0, interval))
        except (ValueError, OverflowError):
            continue
        ef = max(130, min(ease, 1000))
        reps = 2 if interval > 1 else 1
        queue = m.QUEUE_REVIEW if reps >= 2 else m.QUEUE_LEARNING
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
