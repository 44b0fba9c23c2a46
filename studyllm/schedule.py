"""What one answer does to a card's scheduling state (pure: no I/O).

Shared by :meth:`studyllm.store.Store.answer` and by the replay that rebuilds card states
from a merged review log, so the two can never disagree.

The state is a plain dict with the ``card_state`` columns (``repetitions``, ``ef_centi``,
``interval``, ``due_day``, ``reviews``, ``lapses``, ``last_reviewed_at``, ``drill_day``,
``suspended``, ``leech``, ``queue`` ...). Days are ISO dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from studyllm.sm2 import Sm2State, review, validate_quality

__all__ = ["Applied", "apply_answer", "queue_for", "due_after"]

# card_state.queue values
QUEUE_NEW = 0
QUEUE_LEARNING = 1  # reviewed, repetitions < 2 (still on the 1- and 6-day steps)
QUEUE_REVIEW = 2
QUEUE_SUSPENDED = -1
QUEUE_ARCHIVED = -2  # removed from its file; history kept


def queue_for(*, reviews: int, repetitions: int, suspended: bool, archived: bool) -> int:
    if archived:
        return QUEUE_ARCHIVED
    if suspended:
        return QUEUE_SUSPENDED
    if reviews == 0:
        return QUEUE_NEW
    return QUEUE_LEARNING if repetitions < 2 else QUEUE_REVIEW


def due_after(today: date, interval: int) -> str:
    """``today + interval`` as an ISO date. SM-2 has no maximum interval, so a card passed
    dozens of times in a row could run past the last representable date: pin it there."""
    try:
        return (today + timedelta(days=interval)).isoformat()
    except OverflowError:
        return date.max.isoformat()


@dataclass(frozen=True)
class Applied:
    state: dict[str, Any]  # the new state (a new dict; the input is not changed)
    kind: str  # "new", "review", "relearn" or "drill"
    before: Sm2State
    after: Sm2State
    became_leech: bool


def apply_answer(
    state: dict[str, Any], grade: int, day: str, instant: str, *, leech_at: int, archived: bool = False
) -> Applied:
    """Apply one answer given on study ``day`` at UTC ``instant``.

    A card answered again on the day it was last graded below 4 is a same-day drill: SM-2
    state is left alone and the drill ends once it scores 4 or more. Otherwise SM-2 runs,
    a failure (q < 3) of a card already seen counts a lapse, and a card graded below 4
    comes back later the same day."""
    grade = validate_quality(grade)
    st = dict(state)
    before = Sm2State(st["repetitions"], st["ef_centi"] / 100, st["interval"])
    became_leech = False
    if st["drill_day"] == day and st["reviews"] > 0:
        kind = "drill"
        after = before
        st["drill_day"] = None if grade >= 4 else day
    else:
        kind = "new" if st["reviews"] == 0 else ("review" if grade >= 3 else "relearn")
        after = review(before, grade)
        if grade < 3 and st["reviews"] > 0:
            st["lapses"] += 1
            if st["lapses"] >= leech_at and not st["leech"]:
                st["leech"] = 1  # stored as an integer, as SQLite returns it
                became_leech = True
        st["repetitions"] = after.repetitions
        st["ef_centi"] = after.easiness_centi
        st["interval"] = after.interval
        st["due_day"] = due_after(date.fromisoformat(day), after.interval)
        st["drill_day"] = day if grade < 4 else None
    st["reviews"] += 1
    st["last_reviewed_at"] = instant
    st["queue"] = queue_for(
        reviews=st["reviews"], repetitions=st["repetitions"], suspended=bool(st["suspended"]), archived=archived
    )
    return Applied(state=st, kind=kind, before=before, after=after, became_leech=became_leech)
