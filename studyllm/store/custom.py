"""Custom study: sessions outside today's queue, as Anki's "Custom Study" offers them.

* ``more_new(store, n)``: ``n`` new cards beyond what today's limit already offers (the new
  cards after those), learnt and scheduled as usual; today's limits grow by them
  (:meth:`Store.add_new_today`), so they don't use up the day's own new cards, and any left
  unanswered are still offered today;
* ``review_ahead(store, days)``: review cards due in the next ``days`` days (not yet due),
  answered and rescheduled as usual (an early review, as SM-2 computes it);
* ``cram(store, query, deck_id, tag)``: every live card of a deck, a tag or a search, asked
  until recalled; **nothing is written**, so the schedule doesn't move.

A :class:`CustomSession` stands in for the store while its study screen is on top (see
``StudyApp.store``): it answers ``next_card``, ``counts``, ``answer``, ``preview_answer`` and
``undo_action`` from its own list of cards, and hands everything else to the real store.
A card answered weakly (below 3) goes back to the end of the session's list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from studyllm.sm2 import MAX_INTERVAL_DAYS, Sm2State
from studyllm.store.service import AnswerResult, CardView, NextDue, QueueCounts, Store, Undone

__all__ = ["CustomSession", "cram", "more_new", "review_ahead", "KINDS"]

KINDS = ("new", "ahead", "cram")
_NOT_BURIED = " AND (buried_until IS NULL OR buried_until <= :today)"


@dataclass
class CustomSession:
    store: Store
    kind: str  # "new", "ahead" or "cram"
    title: str  # what the study screen says this session is
    pending: list[int]  # card ids still to ask, in order
    writes: bool = True  # False for cram: answers are not stored
    _stack: list[tuple[str, int]] = field(default_factory=list)  # this session's actions, for undo

    # ---------------------------------------------------------------- what the study screen calls
    def next_card(self, deck_id: int | None = None, *, exclude: int | None = None) -> CardView | None:
        for card_id in self.pending:
            if card_id != exclude:
                return self.store.card(card_id)
        return None

    def counts(self, deck_id: int | None = None) -> QueueCounts:
        n = len(self.pending)
        return QueueCounts(new=n) if self.kind == "new" else QueueCounts(review=n)

    def preview_answer(self, card: CardView) -> dict[int, NextDue]:
        # a cram answer moves nothing: there is no "comes back in" to show
        return self.store.preview_answer(card) if self.writes else {}

    def answer(self, card_id: int, grade: int, duration_ms: int = 0, *,
               shown: CardView | None = None) -> AnswerResult:
        if self.writes:
            result = self.store.answer(card_id, grade, duration_ms, shown=shown)
        else:
            card = shown if shown is not None and shown.id == card_id else self.store.card(card_id)
            state = Sm2State(card.repetitions, card.easiness, card.interval)
            result = AnswerResult(card_id, grade, "cram", state, state, None, grade < 3, False, "")
        self._take(card_id)
        if grade < 3:
            self.pending.append(card_id)  # asked again before the session ends
        self._stack.append(("answer", card_id))
        return result

    def bury(self, card_id: int) -> None:
        self.store.bury(card_id)
        self._take(card_id)
        self._stack.append(("store", card_id))

    def suspend(self, card_id: int) -> None:
        self.store.suspend(card_id)
        self._take(card_id)
        self._stack.append(("store", card_id))

    def can_undo(self) -> bool:
        return bool(self._stack)

    def undo_action(self) -> Undone | None:
        """This session's last action, newest first: a cram answer is simply asked again; an
        answer, bury or suspend of a scheduled session is undone in the store."""
        if not self._stack:
            return None
        what, card_id = self._stack.pop()
        if what == "answer" and not self.writes:
            undone: Undone | None = Undone(card_id, "answer")
        else:
            undone = self.store.undo_action()
        if undone is not None:  # asked next (a weak answer had sent it to the end: it moves up)
            self._take(undone.card_id)
            self.pending.insert(0, undone.card_id)
        return undone

    def _take(self, card_id: int) -> None:
        try:
            self.pending.remove(card_id)
        except ValueError:
            pass

    def __getattr__(self, name: str) -> Any:  # everything else is the real store's
        return getattr(self.store, name)


def _ids(store: Store, sql: str, params: dict[str, Any]) -> list[int]:
    with store.database.connect() as conn:
        return [r[0] for r in conn.raw.execute(sql, params)]


MAX_NEW = 1_000_000  # more new cards than any collection holds
MAX_AHEAD_DAYS = MAX_INTERVAL_DAYS  # no card is due later than the longest interval


def _scope(deck_id: int | None) -> str:
    return " AND deck_id = :deck" if deck_id is not None else ""


def more_new(store: Store, n: int, deck_id: int | None = None, deck_title: str | None = None) -> CustomSession:
    """``n`` new cards after those today's limits already offer (in deck order)."""
    if not 1 <= n <= MAX_NEW:  # a 21-digit number does not fit SQLite's LIMIT (OverflowError)
        raise ValueError(f"the number of new cards must be 1 to {MAX_NEW:,}")
    today = store.today().isoformat()
    offered = store.counts(deck_id).new  # today's queue shows these first ones anyway
    with store.database.connect() as conn:
        rows = conn.raw.execute(
            "SELECT card_id, deck_id FROM card_state WHERE queue = 0" + _NOT_BURIED + _scope(deck_id)
            + " ORDER BY position LIMIT :n OFFSET :skip", {"today": today, "deck": deck_id, "n": n, "skip": offered},
        ).fetchall()
    ids = [r[0] for r in rows]
    per_deck: dict[int, int] = {}
    for _card, did in rows:
        per_deck[did] = per_deck.get(did, 0) + 1
    if per_deck:  # today's limits grow by these cards, so learning them leaves today's queue as it was
        store.add_new_today(per_deck)
    where = f" of {deck_title}" if deck_title else ""
    return CustomSession(store, "new", f"Custom study: {len(ids)} more new card{'s' if len(ids) != 1 else ''}{where}",
                         ids)


def review_ahead(store: Store, days: int, deck_id: int | None = None,
                 deck_title: str | None = None) -> CustomSession:
    """Review cards due after today and within ``days`` days, soonest first."""
    if not 1 <= days <= MAX_AHEAD_DAYS:  # today + 10,000,000 days is past the calendar (OverflowError)
        raise ValueError(f"the number of days must be 1 to {MAX_AHEAD_DAYS:,}")
    today = store.today()
    until = (today + timedelta(days=days)).isoformat()
    ids = _ids(store, "SELECT card_id FROM card_state WHERE queue IN (1, 2) AND due_day > :today"
               " AND due_day <= :until" + _NOT_BURIED + _scope(deck_id) + " ORDER BY due_day, position",
               {"today": today.isoformat(), "until": until, "deck": deck_id})
    where = f" of {deck_title}" if deck_title else ""
    return CustomSession(store, "ahead", f"Custom study: review ahead, due in the next {days} "
                         f"day{'s' if days != 1 else ''}{where}", ids)


def cram(store: Store, query: str = "", *, deck_id: int | None = None, tag: str | None = None,
         deck_title: str | None = None) -> CustomSession:
    """Every live (not suspended, not archived) card matching the search, deck and tag, in deck
    order; answers are not stored."""
    from studyllm.store.browse import search_cards

    rows = search_cards(store, query, deck_id=deck_id, tag=tag or None, limit=100_000)
    ids = [r.id for r in rows if r.state not in ("suspended", "archived")]
    what = [f"“{query}”"] if query.strip() else []
    if deck_title:
        what.append(deck_title)
    if tag:
        what.append(f"#{tag}")
    scope = ", ".join(what) if what else "every card"
    return CustomSession(store, "cram", f"Cram (schedule untouched): {scope}", ids, writes=False)
