"""Time with a frozen clock: the rollover hour, DST days in Europe and America, a change of
time zone between sessions, and the clock moved backwards.

After every session the same invariants are checked (see :func:`check_invariants`): no card
graded twice by SM-2 on one study day, nothing due left behind after a session, every
card's due day equals its last review's day plus its interval, and the day's counts add up.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import add_deck

from studyllm.clock import FrozenClock, study_day
from studyllm.store import Store

NEW_PER_DAY = 10


def local(text: str, zone: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def new_store(instant: datetime, zone: str, cards: int = 30) -> tuple[Store, FrozenClock]:
    clock = FrozenClock(instant, zone)
    store = Store.memory(clock=clock)
    store.set_setting("new_per_day", NEW_PER_DAY)
    add_deck(store, "d", cards)
    return store, clock


def session(store: Store, rng: random.Random | None = None, limit: int = 500) -> list[int]:
    """Study until the queue is empty (drills included, answered well the second time)."""
    rng = rng or random.Random(0)
    seen = []
    for _ in range(limit):
        card = store.next_card()
        if card is None:
            return seen
        grade = 5 if card.is_drill else rng.choice((2, 3, 4, 5, 5))
        store.answer(card.id, grade)
        seen.append(card.id)
    raise AssertionError("the queue never emptied")


def logs(store: Store) -> list[dict]:
    with store.database.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, card_id, day, kind, interval_after, due_after FROM review_log ORDER BY id"
        ).all()
    return [dict(zip(("id", "card_id", "day", "kind", "interval_after", "due_after"), r, strict=True)) for r in rows]


def check_invariants(store: Store) -> None:
    today = store.today()
    entries = logs(store)
    graded = Counter((e["card_id"], e["day"]) for e in entries if e["kind"] != "drill")
    twice = [k for k, n in graded.items() if n > 1]
    assert not twice, f"cards graded twice on one study day: {twice[:5]}"
    last: dict[int, dict] = {}
    for e in entries:
        if e["kind"] != "drill":
            last[e["card_id"]] = e
            due = date.fromisoformat(e["day"]) + timedelta(days=e["interval_after"])
            assert e["due_after"] == due.isoformat(), e
    with store.database.connect() as conn:
        states = conn.exec_driver_sql(
            "SELECT card_id, queue, due_day, drill_day, reviews FROM card_state"
        ).all()
    for card_id, queue, due_day, drill_day, reviews in states:
        if reviews == 0:
            assert queue == 0 and due_day is None
            continue
        assert due_day == last[card_id]["due_after"], (card_id, due_day, last[card_id])
        # a session was just finished: nothing due today was left behind
        assert date.fromisoformat(due_day) > today or drill_day not in (None, today.isoformat()), card_id
        assert drill_day != today.isoformat(), f"card {card_id} still has a drill pending today"
    per_day_new = Counter(e["day"] for e in entries if e["kind"] == "new")
    assert all(n <= NEW_PER_DAY for n in per_day_new.values()), per_day_new
    assert store.answered_today() == sum(1 for e in entries if e["day"] == today.isoformat())


def review_days(store: Store) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for e in logs(store):
        if e["kind"] != "drill":
            out[e["card_id"]].append(e["day"])
    return out


# ------------------------------------------------------------------ rollover hour
def test_rollover_0359_vs_0400():
    store, clock = new_store(local("2026-03-10T20:00", "Europe/Berlin"), "Europe/Berlin", cards=3)
    store.set_setting("new_per_day", 1)
    clock.set(local("2026-03-11T03:59", "Europe/Berlin"))
    assert store.today() == date(2026, 3, 10)
    card = store.next_card()
    store.answer(card.id, 5)  # counts for the 10th; due on the 11th
    assert store.answered_today() == 1 and store.streak() == 1
    assert store.next_card() is None  # limit reached, the answered card is not due again today
    check_invariants(store)
    clock.set(local("2026-03-11T04:00", "Europe/Berlin"))
    assert store.today() == date(2026, 3, 11)
    assert store.answered_today() == 0
    assert store.streak() == 1  # yesterday counts until today's first answer
    first = store.next_card()
    assert first.id == card.id and not first.is_drill  # due exactly once, on the 11th
    store.answer(first.id, 5)
    assert store.streak() == 2
    second = store.next_card()
    assert second is not None and second.id != card.id and second.reviews == 0  # today's new card
    store.answer(second.id, 5)
    assert store.next_card() is None
    check_invariants(store)


def test_undo_across_the_rollover_restores_the_card():
    store, clock = new_store(local("2026-03-11T03:58", "Europe/Berlin"), "Europe/Berlin", cards=2)
    card = store.next_card()
    store.answer(card.id, 5)
    clock.set(local("2026-03-11T04:01", "Europe/Berlin"))
    assert store.undo() == card.id
    again = store.card(card.id)
    assert again.reviews == 0 and again.due_day is None
    assert store.answered_today() == 0 and store.streak() == 0
    assert store.next_card().id == card.id  # back in the new queue, not lost


# ------------------------------------------------------------------ DST
DST_DAYS = [
    ("Europe/Berlin", "2026-03-29", 23),  # 02:00 -> 03:00
    ("Europe/Berlin", "2026-10-25", 25),  # 03:00 -> 02:00
    ("America/New_York", "2026-03-08", 23),
    ("America/New_York", "2026-11-01", 25),
]


@pytest.mark.parametrize("zone,day,hours", DST_DAYS, ids=[f"{z}-{d}" for z, d, _ in DST_DAYS])
def test_dst_day_length_and_study_day_sequence(zone, day, hours):
    """Every UTC hour belongs to exactly one study day; days are consecutive; the day around
    the change still starts at 04:00 local and is 23 or 25 hours long."""
    dst = date.fromisoformat(day)
    start = local(f"{dst - timedelta(days=2)}T04:00", zone).astimezone(UTC)
    counts: Counter[date] = Counter()
    previous = None
    for h in range(24 * 5):
        instant = start + timedelta(hours=h)
        d = study_day(instant, ZoneInfo(zone), 4)
        if previous is not None:
            assert d in (previous, previous + timedelta(days=1)), (instant, previous, d)
        previous = d
        counts[d] += 1
    # the change happens at 02:00/03:00 local, before the 04:00 rollover, so the study day
    # that is 23 or 25 hours long is the one that *started* the evening before
    assert counts[dst - timedelta(days=1)] == hours
    assert counts[dst - timedelta(days=2)] == 24 and counts[dst] == 24


@pytest.mark.parametrize("zone,day,hours", DST_DAYS, ids=[f"{z}-{d}" for z, d, _ in DST_DAYS])
def test_studying_every_hour_across_dst(zone, day, hours):
    """A learner opens the app every hour for four days around a DST change: each card is
    reviewed exactly on its due day, never twice a day, and the streak counts the days."""
    dst = date.fromisoformat(day)
    first_day = dst - timedelta(days=2)
    start = local(f"{first_day}T04:30", zone)
    store, clock = new_store(start, zone, cards=35)
    rng = random.Random(hash((zone, day)) & 0xFFFF)
    instant = start.astimezone(UTC)
    days_seen = set()
    last_day = first_day + timedelta(days=3)
    while study_day(instant, ZoneInfo(zone), 4) <= last_day:
        clock.set(instant)
        session(store, rng)
        check_invariants(store)
        days_seen.add(store.today())
        instant += timedelta(hours=1)
    assert len(days_seen) == 4
    assert store.streak() == 4
    per_day_new = Counter(e["day"] for e in logs(store) if e["kind"] == "new")
    assert per_day_new == {(first_day + timedelta(days=i)).isoformat(): NEW_PER_DAY for i in range(3)} | {
        (first_day + timedelta(days=3)).isoformat(): 5
    }
    # reviewed exactly when due: each review day is the previous review day + its interval
    by_card = defaultdict(list)
    for e in logs(store):
        if e["kind"] != "drill":
            by_card[e["card_id"]].append(e)
    for entries in by_card.values():
        for prev, nxt in itertools.pairwise(entries):
            assert nxt["day"] == prev["due_after"], (prev, nxt)
    store.close()


# ------------------------------------------------------------------ time zone changes
def test_change_of_time_zone_between_sessions():
    # Monday evening in Berlin
    berlin_evening = local("2026-03-02T21:00", "Europe/Berlin")
    store, clock = new_store(berlin_evening - timedelta(days=1), "Europe/Berlin", cards=40)
    session(store)  # Sunday: 10 new
    clock.set(berlin_evening)
    monday = session(store)
    assert monday and store.today() == date(2026, 3, 2)
    check_invariants(store)
    # the same instant seen from New York (15:00, still Monday): nothing is due twice
    clock.set_zone("America/New_York")
    assert store.today() == date(2026, 3, 2)
    assert store.next_card() is None
    assert store.answered_today() == len(monday)
    # ... and from Tokyo (05:00 Tuesday): Tuesday's cards are due, once
    clock.set_zone("Asia/Tokyo")
    assert store.today() == date(2026, 3, 3)
    tuesday = session(store)
    assert tuesday
    check_invariants(store)
    assert store.streak() == 3
    # back to Berlin at the same instant: Monday again; Tuesday's answers are not shown again
    clock.set_zone("Europe/Berlin")
    assert store.today() == date(2026, 3, 2)
    assert store.next_card() is None
    assert store.answered_today() == len(monday)
    check_invariants(store)
    # Tuesday evening in Berlin: Tuesday's new-card allowance was already used in Tokyo
    clock.set(local("2026-03-03T21:00", "Europe/Berlin"))
    assert store.today() == date(2026, 3, 3)
    later = session(store)
    assert not set(later) & {c for c in tuesday if store.card(c).due_day > date(2026, 3, 3)}
    check_invariants(store)
    assert store.streak() == 3
    assert sum(1 for e in logs(store) if e["kind"] == "new") == 30  # 10 a day, never more


def test_a_machine_that_changes_zone_by_tz_variable(monkeypatch):
    """The system clock reads $TZ each time, so a changed zone applies to the next session."""
    from studyllm.clock import SystemClock

    monkeypatch.setenv("TZ", "Pacific/Auckland")
    assert str(SystemClock().zone()) == "Pacific/Auckland"
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    assert str(SystemClock().zone()) == "America/Los_Angeles"


# ------------------------------------------------------------------ the clock moved backwards
def test_clock_moved_backwards_a_day():
    store, clock = new_store(local("2026-04-01T20:00", "Europe/Berlin"), "Europe/Berlin", cards=40)
    session(store)  # April 1st
    clock.set(local("2026-04-03T20:00", "Europe/Berlin"))  # the clock runs a day ahead
    ahead = session(store)
    assert ahead
    check_invariants(store)
    clock.set(local("2026-04-02T20:00", "Europe/Berlin"))  # corrected: today is really the 2nd
    assert store.today() == date(2026, 4, 2)
    corrected = session(store)
    check_invariants(store)
    # cards answered "on the 3rd" are scheduled after the 3rd and were not shown today
    assert not set(corrected) & set(ahead)
    assert store.answered_today() == len(corrected)
    clock.set(local("2026-04-03T20:00", "Europe/Berlin"))  # the real 3rd
    third = session(store)
    check_invariants(store)  # no card graded twice on the 3rd, new limit of the 3rd respected
    assert not set(third) & set(ahead) or all(store.card(c).reviews >= 2 for c in set(third) & set(ahead))
    assert store.streak() == 3
    # every card is still reachable: nothing fell out of the queue
    clock.set(local("2026-09-01T20:00", "Europe/Berlin"))
    seen = set()
    for _ in range(12):
        seen |= set(session(store))
        clock.advance(days=1)
    assert seen == {c for c in range(1, 41)}


def test_clock_moved_backwards_within_the_day_keeps_the_drill():
    store, clock = new_store(local("2026-04-01T20:00", "Europe/Berlin"), "Europe/Berlin", cards=1)
    card = store.next_card()
    store.answer(card.id, 3)  # weak: comes back today
    clock.advance(hours=-2)  # the clock jumps back before the answer's timestamp
    again = store.next_card()
    assert again is not None and again.id == card.id and again.is_drill
    store.answer(again.id, 5)
    assert store.next_card() is None
    check_invariants(store)
    assert [e["kind"] for e in logs(store)] == ["new", "drill"]
