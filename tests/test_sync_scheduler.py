"""The scheduler follows the learner through the sync folder (docs/sync.md, "Settings"): a
switch of scheduler (or a change of FSRS's options) is a point in the merged timeline, every
answer is replayed under the scheduler in force at its time, and every home ends with the
same card states and log, whatever order the events arrive in."""

from __future__ import annotations

from datetime import timedelta

from test_sync import home

from studyllm.store import Store
from studyllm.store import sync as S

# every column of card_state and review_log that scheduling writes, FSRS's included
FULL_STATE = ("queue repetitions ef_centi interval due_day reviews lapses last_reviewed_at drill_day buried_until "
              "suspended leech fsrs_state sm2_saved").split()
FULL_LOG = ("uid card_uid reviewed_at day grade duration_ms kind reps_before ef_before interval_before due_before "
            "reps_after ef_after interval_after due_after fsrs_after").split()


def full_states(store: Store) -> dict[str, tuple]:
    with store.database.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(
            f"SELECT c.uid, {', '.join('s.' + c for c in FULL_STATE)} FROM card_state s"
            " JOIN card c ON c.id = s.card_id")}


def full_logs(store: Store) -> dict[str, tuple]:
    with store.database.connect() as conn:
        return {r[0]: tuple(r) for r in conn.execute(f"SELECT {', '.join(FULL_LOG)} FROM review_log")}


def cards(store: Store) -> list[int]:
    with store.database.connect() as conn:
        return [r[0] for r in conn.execute("SELECT id FROM card ORDER BY position")]


def study(store: Store, clock, grades: list[int], start: int = 0) -> None:
    ids = cards(store)
    for i, g in enumerate(grades):
        clock.advance(minutes=9)
        store.answer(ids[(start + i) % len(ids)], g, 800)


def converge(*stores: Store) -> None:
    for s in stores + stores:
        S.sync(s)
    ref_s, ref_l = full_states(stores[0]), full_logs(stores[0])
    for s in stores[1:]:
        assert full_logs(s) == ref_l
        assert full_states(s) == ref_s
    for s in stores:  # settled: syncing again changes nothing
        r = S.sync(s)
        assert (r.added, r.settings, r.cards_replayed) == (0, 0, 0)


def test_a_switch_to_fsrs_travels_and_both_homes_agree_on_every_field(tmp_path):
    folder = tmp_path / "shared"
    (a, ca), (b, cb) = home(tmp_path, "a", folder), home(tmp_path, "b", folder)
    study(a, ca, [4, 5, 3, 2])
    study(b, cb, [3, 1, 5], start=2)
    S.sync(a)
    S.sync(b)
    ca.advance(days=1)
    cb.advance(days=1)
    a.set_setting("scheduler", "fsrs")
    # b answers before it hears of the switch: under the timeline that answer is FSRS's
    study(b, cb, [4, 0], start=1)
    S.sync(a)
    report = S.sync(b)
    assert report.settings >= 1 and b.setting("scheduler") == "fsrs"
    assert isinstance(b.scheduler(), type(a.scheduler()))
    ca.advance(days=2)
    study(a, ca, [3, 4, 5])
    cb.advance(days=3)
    study(b, cb, [5, 2], start=3)
    converge(a, b)
    st = full_states(a)
    assert any(v[FULL_STATE.index("fsrs_state")] for v in st.values())
    assert any(v[FULL_STATE.index("sm2_saved")] for v in st.values())  # the SM-2 state from before the switch
    # the answers from before the switch keep their SM-2 log fields, the later ones are FSRS's
    with a.database.connect() as conn:
        before, after = conn.execute(
            "SELECT sum(fsrs_after IS NULL), sum(fsrs_after IS NOT NULL) FROM review_log").fetchone()
    assert before >= 7 and after >= 6


def test_switching_back_to_sm2_on_the_other_home_gives_the_same_states(tmp_path):
    folder = tmp_path / "shared"
    (a, ca), (b, cb) = home(tmp_path, "a", folder), home(tmp_path, "b", folder)
    study(a, ca, [4, 5, 3, 2, 4])
    S.sync(a)
    a.set_setting("scheduler", "fsrs")
    a.set_setting("desired_retention", 0.8)
    ca.advance(days=1)
    study(a, ca, [3, 4, 1])
    S.sync(a)
    S.sync(b)
    assert (b.setting("scheduler"), b.setting("desired_retention")) == ("fsrs", 0.8)
    assert full_states(a) == full_states(b)
    cb.advance(days=2)
    study(b, cb, [5, 3])
    b.set_setting("scheduler", "sm2")
    study(b, cb, [2, 4], start=1)
    ca.advance(days=2, minutes=30)  # a studies after b's switch, still on FSRS until it syncs
    study(a, ca, [4, 4], start=3)
    converge(a, b)
    assert a.setting("scheduler") == b.setting("scheduler") == "sm2"
    with b.database.connect() as conn:
        # back on SM-2: no card keeps FSRS's fields, and every log row has SM-2's again
        assert conn.execute("SELECT count(*) FROM card_state WHERE fsrs_state IS NOT NULL"
                            " OR sm2_saved IS NOT NULL").fetchone()[0] == 0


def test_the_states_after_a_merged_switch_equal_a_rebuild_under_the_timeline(tmp_path):
    """The incremental merge (going on from the stored state) and a replay of every card from
    its whole log give the same result."""
    folder = tmp_path / "shared"
    (a, ca), (b, cb) = home(tmp_path, "a", folder), home(tmp_path, "b", folder)
    study(a, ca, [4, 5, 3, 2, 5, 4])
    a.set_setting("scheduler", "fsrs")
    study(a, ca, [3, 1, 4, 5])
    S.sync(a)
    S.sync(b)
    cb.advance(days=4)
    study(b, cb, [4, 3, 2, 5], start=2)
    S.sync(b)
    S.sync(a)
    for s in (a, b):
        merged = full_states(s)
        s.rebuild_states()
        assert full_states(s) == merged


def test_a_home_on_fsrs_before_sync_sends_its_scheduler(tmp_path):
    """The scheduler a home chose before sync was on is sent when sync is turned on (a fresh
    home's defaults are not, so they never overwrite it); the cards of the home that sent it
    are replayed under the timeline as every other home will."""
    folder = tmp_path / "shared"
    from datetime import UTC, datetime

    from conftest import add_deck

    from studyllm.clock import FrozenClock

    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "UTC")
    a = Store.open(tmp_path / "a", clock=clock)
    add_deck(a, "alpha", 6)
    study(a, clock, [4, 3])
    a.set_setting("scheduler", "fsrs")
    study(a, clock, [5, 2, 4])
    S.enable(a, folder)
    (b, cb) = home(tmp_path, "b", folder, skew=timedelta(minutes=50))
    converge(a, b)
    assert b.setting("scheduler") == "fsrs"
    assert a.setting("scheduler") == "fsrs"  # b's defaults did not travel
