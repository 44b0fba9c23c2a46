"""The daily queue: limits, rollover hour, DST, drills, undo, bury, suspend, leeches."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import add_deck

from studyllm.clock import study_day
from studyllm.sm2 import Sm2State
from studyllm.store import Store


def study_all(store, grade=5, deck_id=None, limit=1000):
    seen = []
    for _ in range(limit):
        card = store.next_card(deck_id)
        if card is None:
            return seen
        store.answer(card.id, grade)
        seen.append(card.id)
    raise AssertionError("queue never ended")


# ---------------------------------------------------------------- study day

BERLIN = ZoneInfo("Europe/Berlin")


def at(local: str, zone=BERLIN) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=zone).astimezone(UTC)


@pytest.mark.parametrize(
    "local,expected",
    [
        ("2026-03-03 03:59:59", date(2026, 3, 2)),
        ("2026-03-03 04:00:00", date(2026, 3, 3)),
        ("2026-03-03 00:30:00", date(2026, 3, 2)),
        ("2026-03-03 23:59:00", date(2026, 3, 3)),
    ],
)
def test_rollover_hour(local, expected):
    assert study_day(at(local), BERLIN, 4) == expected


@pytest.mark.parametrize(
    "local,expected",
    [
        # spring forward in Berlin: 2026-03-29 02:00 -> 03:00 (23-hour day)
        ("2026-03-29 03:59:00", date(2026, 3, 28)),
        ("2026-03-29 04:00:00", date(2026, 3, 29)),
        # fall back: 2026-10-25 03:00 -> 02:00 (25-hour day)
        ("2026-10-25 03:30:00", date(2026, 10, 24)),
        ("2026-10-25 04:00:00", date(2026, 10, 25)),
    ],
)
def test_rollover_on_dst_days(local, expected):
    assert study_day(at(local), BERLIN, 4) == expected


def test_store_today_follows_rollover_setting(store, clock):
    clock.set(at("2026-03-03 03:59:00"))
    assert store.today() == date(2026, 3, 2)
    clock.set(at("2026-03-03 04:00:00"))
    assert store.today() == date(2026, 3, 3)
    store.set_setting("rollover_hour", 0)
    clock.set(at("2026-03-03 00:30:00"))
    assert store.today() == date(2026, 3, 3)


def test_rollover_changes_what_is_due(store, clock):
    add_deck(store, "d", 1)
    clock.set(at("2026-03-02 20:00:00"))
    card = store.next_card()
    store.answer(card.id, 5)  # interval 1 -> due 2026-03-03
    clock.set(at("2026-03-03 03:59:00"))
    assert store.next_card() is None  # still Monday's study day
    assert store.counts().review == 0
    clock.set(at("2026-03-03 04:00:00"))
    assert store.counts().review == 1
    assert store.next_card().id == card.id


def test_dst_day_keeps_cards_due_once(store, clock):
    add_deck(store, "d", 1)
    clock.set(at("2026-03-28 21:00:00"))  # Saturday before spring forward
    card = store.next_card()
    store.answer(card.id, 5)
    clock.set(at("2026-03-29 03:30:00"))  # 03:30 exists after the jump, before rollover
    assert store.next_card() is None
    clock.set(at("2026-03-29 04:00:00"))
    assert store.next_card().id == card.id
    store.answer(card.id, 5)
    assert store.next_card() is None  # interval 6: not due again the same day


# ---------------------------------------------------------------- ordering and limits

def test_new_cards_in_deck_order_then_limit(store):
    store.set_setting("new_per_day", 3)
    d1 = add_deck(store, "a", 4)
    add_deck(store, "b", 4)
    seen = study_all(store)
    assert len(seen) == 3
    fronts = [store.card(i).front for i in seen]
    assert fronts == [f"Question number {i} about transformers?" for i in range(3)]
    assert all(store.card(i).deck_id == d1 for i in seen)
    assert store.counts().new == 0


def test_per_deck_new_limit_override(store):
    store.set_setting("new_per_day", 10)
    add_deck(store, "a", 5, options={"new_per_day": 2})
    add_deck(store, "b", 5)
    decks = {d.key: d for d in store.decks()}
    assert decks["a"].new == 2 and decks["b"].new == 5
    seen = study_all(store)
    keys = [store.card(i).deck_key for i in seen]
    assert keys.count("a") == 2 and keys.count("b") == 5


def test_review_limit_and_most_overdue_first(store, clock):
    store.set_setting("reviews_per_day", 2)
    add_deck(store, "d", 3)
    ids = []
    for _ in range(3):  # learn one new card per day on three different days
        card = store.next_card()
        while card.reviews:  # bury the earlier cards that are due, so they keep their due day
            store.bury(card.id)
            card = store.next_card()
        store.answer(card.id, 5)
        ids.append(card.id)
        clock.advance(days=1)
    assert [store.card(i).due_day for i in ids] == [date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5)]
    # all three now due (due days: day1, day2, day3 -> most overdue is the first)
    clock.advance(days=5)
    assert store.counts().review == 2
    first = store.next_card()
    assert first.id == ids[0]
    seen = study_all(store)
    assert seen == ids[:2]


def test_per_deck_review_limit(store, clock):
    store.set_setting("new_per_day", 100)
    add_deck(store, "a", 3, options={"reviews_per_day": 1})
    study_all(store)
    clock.advance(days=1)
    assert store.counts().review == 1
    assert len(study_all(store)) == 1


def test_home_numbers_in_one_pass_equal_decks_and_counts(store, clock):
    """``decks_and_counts`` (home's one pass of the capped counts) gives what ``decks`` and
    ``counts`` give, under per-deck and global limits, with reviews, drills and an archived deck."""
    store.set_setting("new_per_day", 4)
    store.set_setting("reviews_per_day", 3)
    add_deck(store, "a", 5, options={"new_per_day": 2})
    add_deck(store, "b", 6, options={"reviews_per_day": 1})
    add_deck(store, "c", 3)
    study_all(store)
    clock.advance(days=1)
    store.answer(store.next_card().id, 2)  # a lapse: a drill today
    with store.database.connect() as conn, conn.begin():
        conn.execute("UPDATE deck SET archived = 1 WHERE key = 'c'")
    assert store.decks_and_counts() == (store.decks(), store.counts())
    decks, counts = store.decks_and_counts()
    assert [d.key for d in decks] == ["a", "b"] and counts.drill == 1


# ---------------------------------------------------------------- same-day drills

def test_weak_answer_comes_back_without_changing_sm2(store, clock):
    add_deck(store, "d", 2)
    first = store.next_card()
    res = store.answer(first.id, 3)
    assert res.drill_again and res.kind == "new"
    state_after_review = store.card(first.id)
    # the other card comes first, then the drill (delay not passed)
    second = store.next_card()
    assert second.id != first.id
    store.answer(second.id, 5)
    again = store.next_card()
    assert again.id == first.id and again.is_drill
    r = store.answer(again.id, 2)
    assert r.kind == "drill" and r.drill_again
    again = store.next_card()
    assert again.id == first.id
    r = store.answer(again.id, 4)
    assert r.kind == "drill" and not r.drill_again
    assert store.next_card() is None
    after = store.card(first.id)
    assert (after.repetitions, after.easiness, after.interval, after.due_day) == (
        state_after_review.repetitions, state_after_review.easiness, state_after_review.interval,
        state_after_review.due_day,
    )
    assert after.reviews == 3


def test_drill_comes_back_first_once_delay_passed(store, clock):
    add_deck(store, "d", 5)
    weak = store.next_card()
    store.answer(weak.id, 1)
    assert store.next_card().id != weak.id
    clock.advance(minutes=10)
    assert store.next_card().id == weak.id


def test_drill_survives_reopen(tmp_path, clock):
    s = Store.open(tmp_path, clock=clock)
    add_deck(s, "d", 1)
    card = s.next_card()
    s.answer(card.id, 2)
    s.close()
    s = Store.open(tmp_path, clock=clock)
    again = s.next_card()
    assert again.id == card.id and again.is_drill
    s.close()


def test_drill_expires_at_rollover(store, clock):
    add_deck(store, "d", 1)
    card = store.next_card()
    store.answer(card.id, 2)
    clock.advance(days=1)
    nxt = store.next_card()
    assert nxt.id == card.id and not nxt.is_drill  # due as a normal review (interval 1)
    r = store.answer(nxt.id, 5)
    assert r.kind == "review" and r.after.repetitions == 1


# ---------------------------------------------------------------- undo, bury, suspend, leech

def test_undo_restores_exact_state(store, clock):
    add_deck(store, "d", 2)
    card = store.next_card()
    before = store.card(card.id)
    store.answer(card.id, 5)
    assert store.card(card.id) != before
    assert store.undo() == card.id
    assert store.card(card.id) == before
    assert store.history(card.id) == []
    assert store.next_card().id == card.id
    assert store.counts().new == 2


def test_undo_of_drill_and_multiple_steps(store):
    add_deck(store, "d", 1)
    card = store.next_card()
    states = [store.card(card.id)]
    store.answer(card.id, 2)
    states.append(store.card(card.id))
    store.answer(card.id, 4)  # drill
    assert store.undo() == card.id
    assert store.card(card.id) == states[1]
    assert store.undo() == card.id
    assert store.card(card.id) == states[0]
    assert store.undo() is None


def test_bury_hides_until_tomorrow(store, clock):
    add_deck(store, "d", 2)
    card = store.next_card()
    store.bury(card.id)
    assert store.next_card().id != card.id
    assert store.counts().new == 1
    clock.advance(days=1)
    assert store.next_card().id == card.id


def test_suspend_hides_until_unsuspended(store, clock):
    add_deck(store, "d", 1)
    card = store.next_card()
    store.suspend(card.id)
    assert store.next_card() is None
    clock.advance(days=30)
    assert store.next_card() is None
    assert store.card(card.id).state_name == "suspended"
    store.unsuspend(card.id)
    assert store.next_card().id == card.id


def test_leech_after_eight_lapses_is_flagged_not_dropped(store, clock):
    add_deck(store, "d", 1)
    card = store.next_card()
    store.answer(card.id, 5)
    became = []
    for _ in range(8):
        clock.advance(days=10)
        c = store.next_card()
        assert c is not None and c.id == card.id
        became.append(store.answer(c.id, 1).became_leech)
        store.answer(c.id, 5)  # clear the drill
    assert became == [False] * 7 + [True]
    view = store.card(card.id)
    assert view.leech and view.lapses == 8
    clock.advance(days=2)
    assert store.next_card().id == card.id  # still studied
    assert [d.leeches for d in store.decks()] == [1]


def test_answer_rejects_bad_grade(store):
    add_deck(store, "d", 1)
    card = store.next_card()
    with pytest.raises(ValueError):
        store.answer(card.id, 7)
    assert store.card(card.id).reviews == 0


def test_answer_log_row(store, clock):
    add_deck(store, "d", 1)
    card = store.next_card()
    res = store.answer(card.id, 4, duration_ms=1234)
    with store.database.connect() as conn:
        row = conn.execute(
            "SELECT uid, card_uid, reviewed_at, day, grade, duration_ms, kind, reps_before, reps_after, ef_after,"
            " interval_after FROM review_log"
        ).fetchone()
    assert row[0] == res.log_uid and len(row[0]) == 32
    assert row[1] == card.uid
    assert datetime.fromisoformat(row[2]) == clock.now()
    assert row[3:] == ("2026-03-02", 4, 1234, "new", 0, 1, 250, 1)


def test_streak_and_counts(store, clock):
    add_deck(store, "d", 10)
    assert store.streak() == 0
    for _ in range(3):
        c = store.next_card()
        store.answer(c.id, 5)
        clock.advance(days=1)
    assert store.streak() == 3  # nothing yet today: streak up to yesterday still counts
    c = store.next_card()
    store.answer(c.id, 5)
    assert store.streak() == 4
    assert store.answered_today() == 1
    clock.advance(days=2)
    assert store.streak() == 0


def test_full_schedule_matches_sm2(store, clock):
    add_deck(store, "d", 1)
    expected = Sm2State()
    from studyllm.sm2 import review

    for q in (5, 4, 3, 5, 4):
        card = store.next_card()
        assert card is not None
        r = store.answer(card.id, q)
        expected = review(expected, q)
        assert r.after == expected
        if q < 4:
            store.answer(card.id, 4)  # drill
        clock.advance(days=expected.interval)


def test_undo_only_takes_back_this_sessions_answers(tmp_path, clock):
    s = Store.open(tmp_path, clock=clock)
    add_deck(s, "d", 2)
    card = s.next_card()
    s.answer(card.id, 5)
    s.close()
    s = Store.open(tmp_path, clock=clock)  # a new session: nothing of its own to undo
    assert not s.can_undo() and s.undo() is None
    assert s.card(card.id).reviews == 1
    other = s.next_card()
    s.answer(other.id, 4)
    assert s.can_undo() and s.undo() == other.id
    assert s.card(other.id).reviews == 0 and s.card(card.id).reviews == 1
    s.close()


def test_daily_limits_see_answers_from_another_window(tmp_path, clock):
    a = Store.open(tmp_path, clock=clock)
    b = Store.open(tmp_path, clock=clock)
    a.set_setting("new_per_day", 3)
    add_deck(a, "d", 6)
    assert a.counts().new == 3  # fills a's cache of today's answers
    for _ in range(2):
        c = b.next_card()
        b.answer(c.id, 5)
    assert a.counts().new == 1  # a notices b's answers
    c = a.next_card()
    a.answer(c.id, 5)
    assert a.counts().new == 0 and b.counts().new == 0
    assert a.next_card() is None
    a.close()
    b.close()


def test_the_queue_sees_every_kind_of_write_after_its_own_answers(tmp_path, clock):
    """The queue keeps the deck rows, today's extras and today's answer counts between two
    ``next_card`` calls while only its own answers were written; any other write shows at once:
    another window's answer and undo, a deck's options changed by another process, "more new
    cards today", and a row written on the store's own connection outside an answer."""
    import sqlite3

    a = Store.open(tmp_path, clock=clock)
    b = Store.open(tmp_path, clock=clock)
    a.set_setting("new_per_day", 4)
    deck = add_deck(a, "d", 10)
    for _ in range(2):  # a's own answers: counted in by a itself
        a.answer(a.next_card().id, 5)
    assert a.counts().new == 2
    c = b.next_card()
    b.answer(c.id, 5)  # another window
    assert a.counts().new == 1
    assert b.undo() == c.id  # ... and its undo
    assert a.counts().new == 2
    a.add_new_today({deck: 3})  # a's own write that is not an answer
    assert a.counts().new == 5
    with sqlite3.connect(a.path) as raw:  # another process sets the deck's own limit
        raw.execute("UPDATE deck SET options = ? WHERE id = ?", ('{"new_per_day": 3}', deck))
    assert a.counts().new == 4  # 3 + today's 3 extra - 2 done
    with a.database.connect() as conn:  # a write on a's own pooled connection, not an answer
        conn.raw.execute("DELETE FROM review_log WHERE id = (SELECT max(id) FROM review_log)")
    assert a.counts().new == 5
    a.close()
    b.close()


def test_a_day_of_drills_comes_back_oldest_answer_first(store, clock):
    """Today's drills come back in the order they were answered (the drill index's order),
    with a deck filter too."""
    d1 = add_deck(store, "one", 4)
    add_deck(store, "two", 4)
    store.set_setting("drill_delay_minutes", 1)
    order = []
    for _ in range(8):
        card = store.next_card()
        store.answer(card.id, 2)  # weak: each becomes a drill for later today
        order.append(card.id)
        clock.advance(seconds=5)
    clock.advance(minutes=2)
    assert [store.next_card().id for _ in range(1)] == [order[0]]
    assert store.next_card(d1).id == order[0] and store.card(order[0]).deck_id == d1
    seen = []
    for _ in range(8):
        card = store.next_card()
        seen.append(card.id)
        store.answer(card.id, 5)  # ends the drill
    assert seen == order and store.next_card() is None


# ---------------------------------------------------------------- what comes after the card on screen


def test_next_card_excluding_the_shown_card_is_what_comes_after_it(store):
    add_deck(store, n=3)
    first = store.next_card()
    upcoming = store.next_card(exclude=first.id)
    assert upcoming is not None and upcoming.id != first.id
    store.answer(first.id, 5)
    assert store.next_card().id == upcoming.id  # the guess was right
    # the last card: nothing comes after it, and excluding changes nothing in the store
    store.answer(upcoming.id, 5)
    last = store.next_card()
    assert store.next_card(exclude=last.id) is None
    assert store.next_card().id == last.id


def test_next_card_exclude_skips_a_drill_too(store, clock):
    add_deck(store, n=1)
    card = store.next_card()
    store.answer(card.id, 2)  # weak: a drill for later today
    assert store.next_card().id == card.id  # nothing else left: the drill comes back
    assert store.next_card(exclude=card.id) is None
