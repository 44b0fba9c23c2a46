"""The learner's own pace: how long an answer takes them, from their recent review log.

Home multiplies it by the cards to go ("43 cards ≈ 6 min"). Plain ``sqlite3`` on the store's
connection: home reads it on start-up, where the ORM isn't imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studyllm.store.service import Store

__all__ = ["RECENT_ANSWERS", "CAP_SECONDS", "recent_pace", "estimate_minutes"]

RECENT_ANSWERS = 200  # the last answers the pace is taken from
CAP_SECONDS = 60.0  # one answer counts at most this long (a learner who walked away), as Anki caps it


def recent_pace(store: Store, n: int = RECENT_ANSWERS) -> float | None:
    """Mean seconds per answer over the last ``n`` timed answers (each capped at
    :data:`CAP_SECONDS`), or ``None`` when there are none yet (no guess is made)."""
    cap_ms = int(CAP_SECONDS * 1000)
    with store.database.connect() as conn:
        row = conn.raw.execute(
            "SELECT count(*), sum(min(duration_ms, ?)) FROM "
            "(SELECT duration_ms FROM review_log WHERE duration_ms > 0 ORDER BY id DESC LIMIT ?)",
            (cap_ms, n),
        ).fetchone()
    count, total_ms = row[0], row[1]
    if not count:
        return None
    return total_ms / count / 1000.0


def estimate_minutes(cards: int, pace_seconds: float) -> int:
    """Whole minutes, rounded up, for ``cards`` answers at ``pace_seconds`` each (at least 1
    when there is anything to do)."""
    if cards <= 0:
        return 0
    return max(1, -(-int(round(cards * pace_seconds)) // 60))
