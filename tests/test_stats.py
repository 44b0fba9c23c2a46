"""Each statistic against a small log whose figures are worked out by hand.

The shared clock fixture puts "today" on Monday 2026-03-02 (Berlin)."""

from __future__ import annotations

import itertools
import json
from datetime import date

import pytest
from conftest import add_deck

from studyllm.store import stats
from studyllm.store.db import write_tx

_n = itertools.count()


def card_ids(store, deck_id):
    with store.database.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT id FROM card WHERE deck_id = ? ORDER BY id", (deck_id,))]


def log(store, card_id, day, grade, kind="review", interval_before=1):
    with write_tx(store.database) as conn:
        uid = conn.exec_driver_sql("SELECT uid FROM card WHERE id = ?", (card_id,)).scalar_one()
        conn.exec_driver_sql(
            "INSERT INTO review_log (uid, card_id, card_uid, reviewed_at, day, grade, duration_ms, kind, reps_before,"
            " ef_before, interval_before, reps_after, ef_after, interval_after, state_before)"
            " VALUES (?,?,?,?,?,?,0,?,1,250,?,1,250,1,'{}')",
            (f"log{next(_n)}", card_id, uid, f"{day}T10:00:00+00:00", day, grade, kind, interval_before),
        )


def set_state(store, card_id, **cols):
    with write_tx(store.database) as conn:
        conn.exec_driver_sql(
            f"UPDATE card_state SET {', '.join(f'{k} = ?' for k in cols)} WHERE card_id = ?", (*cols.values(), card_id)
        )


@pytest.fixture
def two_decks(store):
    a = add_deck(store, "alpha", 6)
    b = add_deck(store, "beta", 3)
    return store, card_ids(store, a), card_ids(store, b)


def test_reviews_per_day_fills_zeros_and_ends_today(two_decks):
    store, a, b = two_decks
    log(store, a[0], "2026-03-02", 4)
    log(store, a[1], "2026-03-02", 2)
    log(store, b[0], "2026-03-01", 5)
    for i in range(3):
        log(store, a[i], "2026-02-20", 3)
    log(store, a[0], "2026-01-01", 4)  # 60 days ago: outside a 30-day window
    per_day = stats.reviews_per_day(store, 30)
    assert len(per_day) == 30
    assert per_day[0] == ("2026-02-01", 0)
    assert per_day[-1] == ("2026-03-02", 2)
    assert dict(per_day)["2026-03-01"] == 1
    assert dict(per_day)["2026-02-20"] == 3
    assert sum(n for _, n in per_day) == 6
    assert sum(n for _, n in stats.reviews_per_day(store, 90)) == 7
    with pytest.raises(ValueError):
        stats.reviews_per_day(store, 0)


def test_heatmap_weeks_start_on_monday(two_decks):
    store, a, _ = two_decks
    log(store, a[0], "2026-02-24", 4)  # a Tuesday
    log(store, a[1], "2026-02-24", 4)
    log(store, a[2], "2026-03-02", 4)  # today, a Monday
    hm = stats.heatmap(store, days=14)
    # 14 days back from Monday 03-02 is Tuesday 02-17; the grid starts on Monday 02-16
    assert hm["start"] == "2026-02-16" and hm["end"] == "2026-03-02"
    assert len(hm["weeks"]) == 3 and all(len(w) == 7 for w in hm["weeks"])
    assert hm["weeks"][1][1] == ["2026-02-24", 2]
    assert hm["weeks"][2][0] == ["2026-03-02", 1]
    assert hm["weeks"][2][1:] == [None] * 6  # future days
    assert hm["max"] == 2 and hm["total"] == 3


def test_streaks_current_and_longest(two_decks):
    store, a, _ = two_decks
    for day in ("2026-03-02", "2026-03-01", "2026-02-28", "2026-02-20", "2026-02-19", "2026-02-18",
                "2026-02-17", "2026-01-01"):
        log(store, a[0], day, 4)
    log(store, a[1], "2026-03-01", 4)  # two answers on one day count once
    assert stats.streaks(store) == {"current": 3, "longest": 4, "days_studied": 8}


def test_streak_counts_from_yesterday_when_nothing_today_and_breaks_on_gap(two_decks):
    store, a, _ = two_decks
    log(store, a[0], "2026-03-01", 4)
    log(store, a[0], "2026-02-28", 4)
    assert stats.streaks(store)["current"] == 2
    store2_today = stats.streaks(store, today=date(2026, 3, 4))
    assert store2_today["current"] == 0 and store2_today["longest"] == 2


def test_empty_store_gives_zeros(store):
    assert stats.streaks(store) == {"current": 0, "longest": 0, "days_studied": 0}
    assert stats.retention(store)["overall"]["today"]["all"] == {"passed": 0, "total": 0, "rate": None}
    assert stats.forecast(store)[0] == ("2026-03-02", 0)
    assert stats.card_counts(store)["total"] == 0
    json.dumps(stats.summary(store))  # JSON-ready


def test_true_retention_young_mature_periods_and_decks(two_decks):
    store, a, b = two_decks
    # today
    log(store, a[0], "2026-03-02", 4, "review", 6)  # young pass
    log(store, a[1], "2026-03-02", 1, "relearn", 6)  # young fail
    log(store, b[0], "2026-03-02", 5, "review", 30)  # mature pass (deck beta)
    # this week (5 days ago)
    log(store, a[2], "2026-02-25", 2, "relearn", 25)  # mature fail
    log(store, a[2], "2026-02-25", 2, "drill", 1)  # drills are not retention
    log(store, a[3], "2026-02-25", 1, "new", 0)  # nor are first answers
    # this month
    log(store, a[4], "2026-02-10", 3, "review", 21)  # 21 days is mature: pass
    log(store, a[5], "2026-02-10", 3, "review", 20)  # young pass
    # older than 30 days
    log(store, a[0], "2026-01-20", 0, "relearn", 6)
    r = stats.retention(store)
    o = r["overall"]
    assert (o["today"]["young"]["passed"], o["today"]["young"]["total"]) == (1, 2)
    assert (o["today"]["mature"]["passed"], o["today"]["mature"]["total"]) == (1, 1)
    assert o["today"]["all"]["rate"] == pytest.approx(2 / 3)
    assert (o["week"]["young"]["passed"], o["week"]["young"]["total"]) == (1, 2)
    assert (o["week"]["mature"]["passed"], o["week"]["mature"]["total"]) == (1, 2)
    assert (o["month"]["young"]["passed"], o["month"]["young"]["total"]) == (2, 3)
    assert (o["month"]["mature"]["passed"], o["month"]["mature"]["total"]) == (2, 3)
    assert o["month"]["all"]["rate"] == pytest.approx(4 / 6)
    decks = {d["key"]: d for d in r["decks"]}
    assert decks["beta"]["today"]["mature"] == {"passed": 1, "total": 1, "rate": 1.0}
    assert decks["beta"]["month"]["young"]["total"] == 0
    assert decks["alpha"]["month"]["all"]["passed"] == 3 and decks["alpha"]["month"]["all"]["total"] == 5


def test_forecast_counts_overdue_today_and_skips_suspended_and_new(two_decks):
    store, a, b = two_decks
    set_state(store, a[0], queue=2, due_day="2026-02-25", reviews=3, repetitions=3, interval=10)  # overdue
    set_state(store, a[1], queue=1, due_day="2026-03-02", reviews=1, repetitions=1, interval=1)
    set_state(store, a[2], queue=2, due_day="2026-03-05", reviews=2, repetitions=2, interval=6)
    set_state(store, a[3], queue=2, due_day="2026-04-15", reviews=4, repetitions=4, interval=40)  # beyond 30 days
    set_state(store, b[0], queue=-1, due_day="2026-03-03", reviews=1, suspended=1)
    fc = stats.forecast(store, 30)
    assert len(fc) == 30 and fc[0] == ("2026-03-02", 2) and fc[-1][0] == "2026-03-31"
    assert dict(fc)["2026-03-05"] == 1
    assert dict(fc)["2026-03-03"] == 0
    assert sum(n for _, n in fc) == 3


def test_card_counts_ef_and_deck_table(two_decks):
    store, a, b = two_decks
    set_state(store, a[0], queue=1, reviews=1, repetitions=1, interval=1, ef_centi=236, due_day="2026-03-03")
    set_state(store, a[1], queue=2, reviews=3, repetitions=3, interval=15, ef_centi=250, due_day="2026-03-10")
    set_state(store, a[2], queue=2, reviews=6, repetitions=5, interval=21, ef_centi=131, leech=1, lapses=8,
              due_day="2026-03-20")
    set_state(store, a[3], queue=-1, reviews=2, suspended=1, ef_centi=139)
    set_state(store, b[0], queue=-2, reviews=1, ef_centi=250, leech=1)  # archived: not a live leech
    set_state(store, b[1], queue=2, reviews=9, repetitions=9, interval=200, ef_centi=270, due_day="2026-09-01")
    assert stats.card_counts(store) == {
        "total": 9, "new": 3, "learning": 1, "young": 1, "mature": 2, "suspended": 1, "archived": 1, "leeches": 1,
    }
    # answered, not archived: 2.36, 2.50, 1.31, 1.39, 2.70
    assert stats.ef_distribution(store) == [(1.3, 2), (2.3, 1), (2.5, 1), (2.7, 1)]
    table = {d["key"]: d for d in stats.deck_table(store)}
    assert (table["alpha"]["new"], table["alpha"]["learning"], table["alpha"]["young"], table["alpha"]["mature"],
            table["alpha"]["leeches"], table["alpha"]["suspended"]) == (2, 1, 1, 1, 1, 1)
    beta = table["beta"]
    assert (beta["new"], beta["mature"], beta["archived"], beta["leeches"]) == (1, 1, 1, 0)


def test_stats_from_real_answers(store, clock):
    """The figures follow from Store.answer, not only from hand-made rows."""
    deck = add_deck(store, "gamma", 3)
    ids = card_ids(store, deck)
    store.answer(ids[0], 5)
    store.answer(ids[1], 2)  # comes back as a drill today
    clock.advance(minutes=11)
    store.answer(ids[1], 4)  # the drill
    s = stats.summary(store, days=7)
    assert s["reviews_per_day"][-1] == {"day": "2026-03-02", "reviews": 3}
    assert s["streaks"]["current"] == 1
    assert s["cards"]["learning"] == 2 and s["cards"]["new"] == 1
    assert s["forecast"][1] == {"day": "2026-03-03", "due": 2}
    # first answers and drills are not retention
    assert s["retention"]["overall"]["today"]["all"]["total"] == 0
