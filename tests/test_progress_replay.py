"""Property: replaying the review log gives exactly the state Store.answer produced, for any
sequence of grades and gaps (same-day drills, lapses, leeches, rollover included); and an
export imported into a fresh home reproduces the states."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from conftest import add_deck
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studyllm.clock import FrozenClock
from studyllm.store import Store
from studyllm.store import progress as P
from studyllm.store.db import write_tx

COLS = "c.uid, s.queue, s.repetitions, s.ef_centi, s.interval, s.due_day, s.reviews, s.lapses, s.last_reviewed_at, " \
       "s.drill_day, s.leech"

steps = st.lists(
    st.tuples(
        st.integers(0, 2),  # which card
        st.integers(0, 5),  # grade
        st.sampled_from([1, 11, 60, 60 * 5, 60 * 20, 60 * 24, 60 * 24 * 3, 60 * 24 * 9]),  # minutes to wait after
    ),
    min_size=1,
    max_size=14,
)


def snapshot(store):
    with store.database.connect() as conn:
        states = conn.exec_driver_sql(
            f"SELECT {COLS} FROM card_state s JOIN card c ON c.id = s.card_id ORDER BY c.uid"
        ).all()
        log = conn.exec_driver_sql(
            "SELECT uid, kind, reps_before, ef_before, interval_before, due_before, reps_after, ef_after,"
            " interval_after, due_after, state_before FROM review_log ORDER BY id"
        ).all()
    return states, log


def fresh(leech: int):
    clock = FrozenClock(datetime(2026, 3, 2, 20, 0, tzinfo=UTC), "Europe/Berlin")
    store = Store.memory(clock=clock)
    store.set_setting("leech_lapses", leech)
    add_deck(store, "p", 3)
    with store.database.connect() as conn:
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM card ORDER BY id")]
    return store, clock, ids


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=steps, leech=st.integers(1, 3))
def test_replay_matches_answer(plan, leech):
    store, clock, ids = fresh(leech)
    for card, grade, wait in plan:
        store.answer(ids[card], grade)
        clock.advance(minutes=wait)
    before = snapshot(store)
    with write_tx(store.database) as conn:
        conn.exec_driver_sql("UPDATE card_state SET repetitions = 7, ef_centi = 300, interval = 3, drill_day = NULL,"
                             " lapses = 5, leech = 1, due_day = '2000-01-01'")
        conn.exec_driver_sql("UPDATE review_log SET kind = '?', ef_after = 1, state_before = '{}'")
    P.rebuild_states(store)
    assert snapshot(store) == before
    # and the same through an export into an empty home
    buf = io.StringIO()
    P.export_json(store, buf)
    other, _, _ = fresh(leech)
    data = P._parse_json_export(buf.getvalue(), "<mem>")
    report = P.merge_export(other, data)
    assert report.added == len(plan)
    assert snapshot(other)[0] == before[0]
    store.close()
    other.close()
