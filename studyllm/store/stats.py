"""Statistics over the store (read only). Each function is a few indexed queries, written as
SQLModel ``select()`` statements and run in a read session (:mod:`studyllm.store.orm`; the
Stats screen loads them in a worker thread, off the start path).

Definitions (also in ``docs/stats.md``):

* a *study day* is the day column of the review log (local date shifted by the rollover
  hour), so a session after midnight counts for the evening before;
* *retention* is the share of passing grades (q >= 3) among scheduled reviews of cards
  already seen (log kinds ``review`` and ``relearn``: first answers of new cards and same-day
  drills are left out, as Anki's "true retention" does). A review is *young* when the
  card's interval before it was under 21 days, *mature* otherwise. Periods: ``today``,
  ``week`` (the last 7 study days, today included) and ``month`` (the last 30);
* card states: ``new`` (never answered), ``learning`` (on the 1- and 6-day steps), ``young``
  and ``mature`` (in review with an interval under / at least 21 days), ``suspended``,
  ``archived`` (gone from the deck file, history kept); ``leeches`` counts live cards
  flagged as leeches whatever their state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Integer, func, text
from sqlmodel import col, select

from studyllm.store.models import Card, CardState, Deck, ReviewLog
from studyllm.store.orm import columns, session
from studyllm.store.service import Store

__all__ = [
    "MATURE_DAYS",
    "reviews_per_day",
    "heatmap",
    "streaks",
    "retention",
    "forecast",
    "card_counts",
    "ef_distribution",
    "deck_table",
    "summary",
    "Rate",
]

MATURE_DAYS = 21
PERIODS = ("today", "week", "month")
PERIOD_DAYS = {"today": 1, "week": 7, "month": 30}


def _count(condition: Any) -> Any:
    """``sum(condition)``: the rows where it holds (an integer, not the condition's boolean type)."""
    return func.sum(condition, type_=Integer)


def _today(store: Store, today: date | None) -> date:
    return today or store.today()


def _days(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


def reviews_per_day(store: Store, days: int = 30, *, today: date | None = None) -> list[tuple[str, int]]:
    """Answers per study day for the ``days`` days ending today (oldest first, zeros filled)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    end = _today(store, today)
    start = end - timedelta(days=days - 1)
    day = col(ReviewLog.day)
    with session(store.database) as s:
        counts: dict[str, int] = dict(
            s.exec(
                select(day, func.count()).where(day.between(start.isoformat(), end.isoformat())).group_by(day)
            ).all()
        )
    return [(d.isoformat(), counts.get(d.isoformat(), 0)) for d in _days(start, days)]


def heatmap(store: Store, days: int = 365, *, today: date | None = None) -> dict[str, Any]:
    """Calendar data: ``weeks`` is a list of 7-day columns (Monday first) covering at least
    the last ``days`` days; each cell is ``[iso_day, count]`` or ``None`` after today."""
    end = _today(store, today)
    start = end - timedelta(days=days - 1)
    start -= timedelta(days=start.weekday())  # back to Monday
    span = (end - start).days + 1
    counts = dict(reviews_per_day(store, span, today=end))
    weeks: list[list[list[Any] | None]] = []
    for i, d in enumerate(_days(start, span + (6 - end.weekday()))):
        if i % 7 == 0:
            weeks.append([])
        weeks[-1].append([d.isoformat(), counts[d.isoformat()]] if d <= end else None)
    values = [c for c in counts.values() if c]
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "weeks": weeks,
        "max": max(values, default=0),
        "total": sum(values),
    }


def streaks(store: Store, *, today: date | None = None) -> dict[str, int]:
    """``current``: consecutive study days with an answer ending today (or yesterday when
    nothing is answered yet today); ``longest`` ever; ``days_studied`` in all."""
    end = _today(store, today)
    with session(store.database) as s:
        days = [date.fromisoformat(d) for d in s.exec(select(ReviewLog.day).distinct().order_by(col(ReviewLog.day)))]
    longest = run = 0
    prev: date | None = None
    for d in days:
        run = run + 1 if prev is not None and d - prev == timedelta(days=1) else 1
        longest = max(longest, run)
        prev = d
    have = set(days)
    cur = 0
    d = end if end in have else end - timedelta(days=1)
    while d in have:
        cur += 1
        d -= timedelta(days=1)
    return {"current": cur, "longest": longest, "days_studied": len(days)}


@dataclass
class Rate:
    passed: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        return self.passed / self.total if self.total else None

    def add(self, passed: int, total: int) -> None:
        self.passed += passed
        self.total += total

    def as_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "total": self.total, "rate": self.rate}


@dataclass
class _Retention:
    young: Rate = field(default_factory=Rate)
    mature: Rate = field(default_factory=Rate)

    @property
    def all(self) -> Rate:
        return Rate(self.young.passed + self.mature.passed, self.young.total + self.mature.total)

    def as_dict(self) -> dict[str, Any]:
        return {"young": self.young.as_dict(), "mature": self.mature.as_dict(), "all": self.all.as_dict()}


def retention(store: Store, *, today: date | None = None) -> dict[str, Any]:
    """True retention for today, the last 7 and the last 30 study days, overall and per deck."""
    end = _today(store, today)
    starts = {p: (end - timedelta(days=n - 1)).isoformat() for p, n in PERIOD_DAYS.items()}
    day = col(ReviewLog.day)
    in_week = (day >= starts["week"]).label("in_week")
    in_today = (day >= starts["today"]).label("in_today")
    mature = (col(ReviewLog.interval_before) >= MATURE_DAYS).label("mature")
    query = (
        columns(Card.deck_id, in_week, in_today, mature, _count(col(ReviewLog.grade) >= 3), func.count())
        .join(Card, col(Card.id) == col(ReviewLog.card_id))
        .where(day.between(starts["month"], end.isoformat()), col(ReviewLog.kind).in_(("review", "relearn")))
        .group_by(col(Card.deck_id), in_week, in_today, mature)
    )
    with session(store.database) as s:
        rows = s.exec(query).all()
        decks = s.exec(select(Deck.id, Deck.key, Deck.title).order_by(col(Deck.position), col(Deck.id))).all()
    overall = {p: _Retention() for p in PERIODS}
    per_deck: dict[int, dict[str, _Retention]] = {}
    for deck_id, in_week, in_today, mature, passed, total in rows:
        targets = [overall, per_deck.setdefault(deck_id, {p: _Retention() for p in PERIODS})]
        periods = ["month"] + (["week"] if in_week else []) + (["today"] if in_today else [])
        for t in targets:
            for p in periods:
                (t[p].mature if mature else t[p].young).add(passed, total)
    return {
        "overall": {p: overall[p].as_dict() for p in PERIODS},
        "decks": [
            {"key": key, "title": title, **{p: per_deck[did][p].as_dict() for p in PERIODS}}
            for did, key, title in decks
            if did in per_deck
        ],
    }


def forecast(store: Store, days: int = 30, *, today: date | None = None) -> list[tuple[str, int]]:
    """Cards falling due on each of the next ``days`` days; today's figure includes overdue cards."""
    start = _today(store, today)
    end = start + timedelta(days=days - 1)
    due = func.max(col(CardState.due_day), start.isoformat()).label("due")  # overdue counts as today
    query = (
        select(due, func.count())
        .where(col(CardState.queue).in_((1, 2)), col(CardState.due_day) <= end.isoformat())
        .group_by(due)
    )
    with session(store.database) as s:
        counts: dict[str, int] = dict(s.exec(query).all())  # type: ignore[arg-type]
    return [(d.isoformat(), counts.get(d.isoformat(), 0)) for d in _days(start, days)]


_STATE_KEYS = ("total", "new", "learning", "young", "mature", "suspended", "archived", "leeches")


def _state_query() -> Any:
    q, ivl = col(CardState.queue), col(CardState.interval)
    return (
        columns(
            CardState.deck_id, func.count(), _count(q == 0), _count(q == 1),
            _count((q == 2) & (ivl < MATURE_DAYS)), _count((q == 2) & (ivl >= MATURE_DAYS)),
            _count(q == -1), _count(q == -2), _count(col(CardState.leech) & (q != -2)),
        )
        .group_by(text("+deck_id"))  # '+': one table scan beats walking the (deck_id, queue) index
    )


def _state_rows(store: Store) -> dict[int, dict[str, int]]:
    with session(store.database) as s:
        return {
            r[0]: dict(zip(_STATE_KEYS, (int(v or 0) for v in r[1:]), strict=True)) for r in s.exec(_state_query())
        }


def card_counts(store: Store) -> dict[str, int]:
    """Cards by state over all decks (see the module doc for the states)."""
    out = dict.fromkeys(_STATE_KEYS, 0)
    for row in _state_rows(store).values():
        for k in _STATE_KEYS:
            out[k] += row[k]
    return out


def ef_distribution(store: Store) -> list[tuple[float, int]]:
    """Cards already answered (and not archived) by easiness, in buckets 0.1 wide:
    ``(1.3, n)`` counts EF 1.30 to 1.39."""
    bucket = (col(CardState.ef_centi) // 10).label("bucket")
    query = (
        select(bucket, func.count())
        .where(col(CardState.reviews) > 0, col(CardState.queue) != -2)
        .group_by(bucket)
        .order_by(bucket)
    )
    with session(store.database) as s:
        rows = s.exec(query).all()
    return [(b / 10, n) for b, n in rows]


def deck_table(store: Store, *, include_archived: bool = False) -> list[dict[str, Any]]:
    """Per deck: total, new, learning, young, mature, suspended, archived cards and leeches."""
    rows = _state_rows(store)
    query = select(Deck.id, Deck.key, Deck.title, Deck.archived).order_by(col(Deck.position), col(Deck.id))
    if not include_archived:
        query = query.where(col(Deck.archived) == False)  # noqa: E712 (an SQL expression)
    with session(store.database) as s:
        decks = s.exec(query).all()
    return [
        {"key": key, "title": title, "archived": bool(arch), **rows.get(did or 0, dict.fromkeys(_STATE_KEYS, 0))}
        for did, key, title, arch in decks
    ]


def summary(store: Store, *, days: int = 30, today: date | None = None) -> dict[str, Any]:
    """Everything ``studyllm stats`` shows, as JSON-ready data."""
    end = _today(store, today)
    return {
        "today": end.isoformat(),
        "reviews_per_day": [{"day": d, "reviews": n} for d, n in reviews_per_day(store, days, today=end)],
        "heatmap": heatmap(store, 365, today=end),
        "streaks": streaks(store, today=end),
        "retention": retention(store, today=end),
        # FSRS aims at a retention: Stats shows it beside the true retention measured
        "desired_retention": store.setting("desired_retention") if store.setting("scheduler") == "fsrs" else None,
        "forecast": [{"day": d, "due": n} for d, n in forecast(store, 30, today=end)],
        "cards": card_counts(store),
        "ef": [{"ef": ef, "cards": n} for ef, n in ef_distribution(store)],
        "decks": deck_table(store),
    }



def review_histories(store: Store) -> dict[int, list[tuple[str, int]]]:
    """Every card's answers as (UTC instant, grade), oldest first: what ``studyllm sched evaluate`` scores."""
    out: dict[int, list[tuple[str, int]]] = {}
    with store.database.connect() as conn:
        for card_id, at, grade in conn.execute(
            "SELECT card_id, reviewed_at, grade FROM review_log ORDER BY card_id, reviewed_at, id"
        ):
            out.setdefault(card_id, []).append((at, grade))
    return out
