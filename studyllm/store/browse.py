"""Read-only queries for the browse screen: search with filters, tags, and a card's
scheduling state explained in words. No Textual here; the UI calls these functions (the
search in a worker thread). The queries are SQLModel ``select()`` statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, exists, func, or_
from sqlmodel import col, select

from studyllm.store import constants as m
from studyllm.store.models import Card, CardState, Deck
from studyllm.store.orm import columns, session
from studyllm.store.service import CardView, Store

__all__ = ["BrowseRow", "STATES", "search_cards", "all_tags", "explain_state"]

# The state filters; each is a condition on Card and CardState (see _state_condition).
STATES: tuple[str, ...] = ("new", "learning", "review", "buried", "suspended", "leech", "archived")


def _state_condition(state: str, today: str) -> Any:
    live = col(Card.archived) == False  # noqa: E712 (an SQL expression)
    return {
        "buried": and_(col(CardState.buried_until) > today, col(CardState.suspended) == False, live),  # noqa: E712
        "new": col(CardState.queue) == m.QUEUE_NEW,
        "learning": col(CardState.queue) == m.QUEUE_LEARNING,
        "review": col(CardState.queue) == m.QUEUE_REVIEW,
        "suspended": and_(col(CardState.suspended) == True, live),  # noqa: E712
        "leech": and_(col(CardState.leech) == True, live),  # noqa: E712
        "archived": col(Card.archived) == True,  # noqa: E712
    }[state]


@dataclass(frozen=True)
class BrowseRow:
    id: int
    deck_title: str
    kind: str
    front: str
    state: str
    due_day: date | None
    interval: int
    easiness: float
    lapses: int
    reviews: int


def _state_name(queue: int, suspended: bool, archived: bool, leech: bool, buried: bool = False) -> str:
    if archived:
        return "archived"
    if suspended:
        return "suspended"
    if buried:
        return "buried"
    name = {m.QUEUE_NEW: "new", m.QUEUE_LEARNING: "learning", m.QUEUE_REVIEW: "review"}.get(queue, "?")
    return name + (" (leech)" if leech else "")


def search_cards(
    store: Store,
    query: str = "",
    *,
    deck_id: int | None = None,
    state: str | None = None,
    tag: str | None = None,
    limit: int = 200,
) -> list[BrowseRow]:
    """Cards whose front or back contain every word of ``query`` (case-insensitive for
    ASCII; CJK and other scripts match as substrings). Archived cards only show with
    ``state="archived"``. Ordered by deck, then position in the file."""
    today = store.today().isoformat()
    stmt = (
        columns(Card.id, Deck.title, Card.kind, Card.front, CardState.queue, CardState.suspended, Card.archived,
               CardState.leech, CardState.due_day, CardState.interval, CardState.ef_centi, CardState.lapses,
               CardState.reviews, CardState.buried_until)
        .join(Deck, col(Deck.id) == col(Card.deck_id))
        .join(CardState, col(CardState.card_id) == col(Card.id))
    )
    for word in query.split():
        needle = func.lower(word)
        stmt = stmt.where(or_(func.instr(func.lower(col(Card.front)), needle) > 0,
                              func.instr(func.lower(col(Card.back)), needle) > 0))
    if deck_id is not None:
        stmt = stmt.where(col(Card.deck_id) == deck_id)
    if state:
        if state not in STATES:
            raise ValueError(f"unknown state filter {state!r}; known: {', '.join(STATES)}")
        stmt = stmt.where(_state_condition(state, today))
    if state != "archived":
        stmt = stmt.where(col(Card.archived) == False)  # noqa: E712 (an SQL expression)
    if tag:
        def tagged(tags: Any) -> Any:
            # a hand-edited tags value that isn't JSON matches nothing (json_each would fail the query)
            values = func.json_each(case((func.json_valid(tags), tags), else_="[]")).table_valued("value")
            return exists(select(1).select_from(values).where(values.c.value == tag))

        stmt = stmt.where(or_(tagged(col(Card.tags)), tagged(col(Deck.tags))))
    stmt = stmt.order_by(col(Deck.position), col(Card.deck_id), col(Card.position)).limit(int(limit))
    with session(store.database) as s:
        rows = s.exec(stmt).all()
    return [
        BrowseRow(
            id=r[0], deck_title=r[1], kind=r[2], front=r[3],
            state=_state_name(r[4], bool(r[5]), bool(r[6]), bool(r[7]), bool(r[13] and r[13] > today)),
            due_day=date.fromisoformat(r[8]) if r[8] else None, interval=r[9], easiness=r[10] / 100,
            lapses=r[11], reviews=r[12],
        )
        for r in rows
    ]


def all_tags(store: Store) -> list[str]:
    """Every tag used by a card or a deck, sorted. Plain ``sqlite3``: the Browse screen asks
    while it is built, on the UI thread, where importing SQLAlchemy would hold up a frame."""
    with store.database.connect() as conn:
        rows = conn.execute(
            "SELECT DISTINCT j.value FROM card c, json_each(c.tags) j WHERE json_valid(c.tags)"
            " UNION SELECT DISTINCT j.value FROM deck d, json_each(d.tags) j WHERE json_valid(d.tags)"
        ).fetchall()
    return sorted({str(r[0]) for r in rows if r[0] is not None})


_GRADE_WORDS = {
    0: "a blackout (0)",
    1: "a wrong answer that felt familiar (1)",
    2: "a wrong answer that seemed easy once seen (2)",
    3: "a correct answer recalled with difficulty (3)",
    4: "a correct answer after a hesitation (4)",
    5: "a perfect answer (5)",
}


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def explain_card(store: Store, card: CardView) -> str:
    """The Browse detail's explanation of the card's schedule, by the scheduler in use."""
    history = store.history(card.id)
    today = store.today()
    if store.setting("scheduler") == "fsrs" and not card.archived and card.reviews > 0:
        return explain_fsrs(card, history, today, store.recall_now(card), store.setting("desired_retention"))
    return explain_state(card, history, today)


def _count(n: int, word: str) -> str:
    """"1 review", "2 reviews", "0 lapses" (the store imports nothing of the UI's text helpers)."""
    return f"{n} {word if n == 1 else word + 's'}"


def recall_words(recall: float | None) -> str:
    """``recall ≈ 87%``, FSRS's predicted probability of recall, as Browse shows it."""
    return "" if recall is None else f"recall ≈ {round(recall * 100)}%"


def explain_fsrs(card: CardView, history: list[dict[str, Any]], today: date, recall: float | None,
                 desired: float) -> str:
    """A reviewed card's FSRS state in a few sentences: recall now, when it is due and why."""
    parts: list[str] = []
    if card.suspended:
        parts.append("Suspended: it won't be shown until you unsuspend it.")
    elif card.buried_until is not None and card.buried_until > today:
        parts.append(f"Buried: hidden until {card.buried_until.isoformat()} (Ctrl+B in Browse unburies it).")
    fs = card.fsrs
    if fs is None:
        parts.append("Not scheduled by FSRS yet: its next answer gives it an FSRS state.")
        return " ".join(parts)
    if recall is not None:
        parts.append(f"FSRS: {recall_words(recall)} now.")
    last = history[-1] if history else None
    if card.is_drill or fs.phase in (1, 3):
        step = "learning" if fs.phase == 1 else "relearning"
        when = fs.due.strftime("%H:%M UTC") if fs.due else "later today"
        parts.append(f"In a {step} step: it comes back today after {when}, "
                     "then FSRS gives it its first interval in days.")
    elif card.due_day is not None:
        delta = (card.due_day - today).days
        when = (f"Due in {_days(delta)} ({card.due_day.isoformat()})" if delta > 1 else
                "Due tomorrow" if delta == 1 else "Due today" if delta == 0 else
                f"Overdue by {_days(-delta)} (was due {card.due_day.isoformat()})")
        grade = f" ({last['day']}, {_GRADE_WORDS.get(int(last['grade']), last['grade'])})" if last else ""
        parts.append(f"{when}: the day FSRS expects recall to fall to your desired retention, "
                     f"{round(desired * 100)}%, after the last review{grade}.")
    if fs.stability is not None and fs.difficulty is not None:
        parts.append(f"Stability {fs.stability:.1f} days (recall falls to 90% after that long), "
                     f"difficulty {fs.difficulty:.1f} of 10, {_count(card.reviews, 'review')}, "
                     f"{_count(card.lapses, 'lapse')}.")
    if card.leech:
        parts.append("Leech: forgotten many times; consider rewriting the card.")
    return " ".join(parts)


def explain_state(card: CardView, history: list[dict[str, Any]], today: date) -> str:
    """The card's SM-2 state in a sentence or three, e.g. "Due in 6 days because ..."."""
    if card.archived:
        return ("Archived: the card was removed from its deck file. "
                "Its history is kept and comes back if the text returns.")
    parts: list[str] = []
    if card.suspended:
        parts.append("Suspended: it won't be shown until you unsuspend it.")
    elif card.buried_until is not None and card.buried_until > today:
        parts.append(f"Buried: hidden until {card.buried_until.isoformat()} (Ctrl+B in Browse unburies it).")
    if card.reviews == 0:
        parts.append("New: never answered yet. "
                     "It will be introduced in deck order, within the daily limit of new cards.")
        return " ".join(parts)
    due = card.due_day
    if due is None:
        when = "Not scheduled"
    else:
        delta = (due - today).days
        if delta > 1:
            when = f"Due in {_days(delta)} ({due.isoformat()})"
        elif delta == 1:
            when = f"Due tomorrow ({due.isoformat()})"
        elif delta == 0:
            when = "Due today"
        else:
            when = f"Overdue by {_days(-delta)} (was due {due.isoformat()})"
    graded = [h for h in history if h.get("kind") != "drill"]
    last = graded[-1] if graded else None
    ef = f"{card.easiness:.2f}"
    if last is None:
        parts.append(f"{when}. Interval {_days(card.interval)}, easiness factor {ef}.")
    else:
        grade = int(last["grade"])
        if grade < 3:
            reason = (
                f"because the last review ({last['day']}) was {_GRADE_WORDS.get(grade, grade)}, "
                "so SM-2 started the card over with a 1-day interval"
            )
        elif card.repetitions == 1:
            reason = (f"because the last review ({last['day']}) was {_GRADE_WORDS.get(grade, grade)}:"
                      " the first successful recall gives 1 day")
        elif card.repetitions == 2:
            reason = (f"because the last review ({last['day']}) was {_GRADE_WORDS.get(grade, grade)}:"
                      " the second successful recall in a row gives 6 days")
        else:
            ef_before = (last.get("ef_before") or 0) / 100
            prev = graded[-2].get("interval_after") if len(graded) >= 2 else None
            if prev:
                sums = f"{_days(int(prev))} × easiness {ef_before:.2f}, rounded up, = {_days(card.interval)}"
            else:
                sums = f"the previous interval × easiness {ef_before:.2f}, rounded up, = {_days(card.interval)}"
            reason = (
                f"because the last review ({last['day']}) was {_GRADE_WORDS.get(grade, grade)}, "
                f"so the interval grew: {sums}"
            )
        parts.append(f"{when} {reason}.")
        parts.append(
            f"Easiness factor {ef} (2.50 at the start; each grade below 4 lowers it, a 5 raises it), "
            f"{_count(card.repetitions, 'successful recall')} in a row, interval {_days(card.interval)}, "
            f"{_count(card.reviews, 'review')}, {_count(card.lapses, 'lapse')}."
        )
    if card.leech:
        parts.append("Leech: forgotten many times; consider rewriting the card.")
    if card.is_drill:
        parts.append("It also comes back later today because the last answer was below 4 "
                     "(a same-day drill, which doesn't change the schedule).")
    return " ".join(parts)
