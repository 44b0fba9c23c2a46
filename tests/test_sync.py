"""Sync through a shared folder (docs/sync.md): homes converge, nothing lost or doubled, and the
things sync tools do to files (torn lines, conflict copies, truncation, skewed clocks)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import add_deck
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from studyllm.clock import FrozenClock
from studyllm.store import Store
from studyllm.store import sync as S

STATE = ("queue repetitions ef_centi interval due_day reviews lapses last_reviewed_at drill_day buried_until "
         "suspended leech").split()
LOG = ("uid card_uid reviewed_at day grade duration_ms kind reps_before ef_before interval_before due_before "
       "reps_after ef_after interval_after due_after").split()


def home(root: Path, name: str, folder: Path, *, skew: timedelta = timedelta(0)) -> tuple[Store, FrozenClock]:
    # each home's clock a few seconds apart: two answers at the very same microsecond on two
    # machines are ordered local-first by replay (docs/sync.md, "Limits")
    offset = timedelta(seconds=sum(map(ord, name)) % 50)
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + skew + offset, "UTC")
    store = Store.open(root / name, clock=clock)
    add_deck(store, "alpha", 6)
    S.enable(store, folder)
    return store, clock


def ids(store: Store) -> list[int]:
    with store.database.connect() as conn:
        return [r[0] for r in conn.execute("SELECT id FROM card ORDER BY position")]


def states(store: Store) -> dict[str, tuple]:
    with store.database.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(
            f"SELECT c.uid, {', '.join('s.' + c for c in STATE)} FROM card_state s JOIN card c ON c.id = s.card_id")}


def logs(store: Store) -> dict[str, tuple]:
    with store.database.connect() as conn:
        return {r[0]: tuple(r) for r in conn.execute(f"SELECT {', '.join(LOG)} FROM review_log")}


def full_states(store: Store) -> dict[str, tuple]:
    with store.database.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(
            f"SELECT c.uid, {', '.join('s.' + c for c in (*STATE, 'fsrs_state', 'sm2_saved'))} FROM card_state s"
            " JOIN card c ON c.id = s.card_id")}


def full_logs(store: Store) -> dict[str, tuple]:
    with store.database.connect() as conn:
        return {r[0]: tuple(r) for r in conn.execute(f"SELECT {', '.join((*LOG, 'fsrs_after'))} FROM review_log")}


def answer(store: Store, clock: FrozenClock, card: int, grade: int) -> str:
    clock.advance(minutes=7)
    return store.answer(card, grade, 1000).log_uid


def journal(folder: Path, store: Store) -> Path:
    st_ = S.status(store)
    files = sorted((folder / "devices" / str(st_.device)).glob("*.jsonl"))
    assert files
    return files[-1]


@pytest.fixture
def two_homes(tmp_path) -> tuple[Path, tuple[Store, FrozenClock], tuple[Store, FrozenClock]]:
    """The shared folder and two homes ``a`` and ``b`` syncing through it, each with deck alpha."""
    folder = tmp_path / "shared"
    return folder, home(tmp_path, "a", folder), home(tmp_path, "b", folder)


def test_two_homes_converge_with_undo_bury_suspend(two_homes):
    folder, (a, ca), (b, cb) = two_homes
    ia, ib = ids(a), ids(b)
    kept = answer(a, ca, ia[0], 4)
    gone = answer(a, ca, ia[1], 2)
    assert a.undo() == ia[1]
    answer(b, cb, ib[0], 5)
    answer(b, cb, ib[2], 1)
    a.bury(ia[3])
    b.suspend(ib[4])
    for s in (a, b, a, b):
        S.sync(s)
    assert logs(a) == logs(b)
    assert states(a) == states(b)
    assert kept in logs(b) and gone not in logs(b) and len(logs(a)) == 3
    before = (logs(a), states(a))
    r = S.sync(a)
    assert (r.added, r.undone, r.cards_replayed) == (0, 0, 0)
    assert (logs(a), states(a)) == before
    # unsuspend on the other side wins (later write)
    cb.advance(minutes=30)
    b.unsuspend(ib[4])
    S.sync(b)
    S.sync(a)
    assert states(a) == states(b)
    assert not a.card(ia[4]).suspended
    st_ = S.status(a)
    assert st_.pending_out == 0 and st_.pending_in == 0 and len(st_.devices) == 2 and st_.last_sync


def test_undo_after_the_answer_was_synced_removes_it_everywhere(two_homes):
    folder, (a, ca), (b, _cb) = two_homes
    uid = answer(a, ca, ids(a)[0], 3)
    S.sync(a)
    S.sync(b)
    assert uid in logs(b)
    a.undo()
    S.sync(a)
    r = S.sync(b)
    assert r.undone == 1 and uid not in logs(b)
    assert states(a) == states(b)


def test_torn_last_line_waits_until_complete(two_homes):
    folder, (a, ca), (b, _) = two_homes
    answer(a, ca, ids(a)[0], 4)
    answer(a, ca, ids(a)[1], 4)
    S.sync(a)
    path = journal(folder, a)
    data = path.read_bytes()
    cut = data.rstrip(b"\n").rfind(b"\n") + 10  # the second line copied half-way
    full = data
    path.write_bytes(data[:cut])
    r = S.sync(b)
    assert r.added == 1 and not r.problems
    path.write_bytes(full)
    r = S.sync(b)
    assert r.added == 1 and not r.problems
    assert logs(a) == logs(b)


def test_own_torn_append_is_cut_before_the_next_push(two_homes):
    folder, (a, ca), (b, _) = two_homes
    answer(a, ca, ids(a)[0], 4)
    S.sync(a)
    path = journal(folder, a)
    with open(path, "ab") as fh:
        fh.write(b'{"t":"answer","uid":"half')  # a crash during the append
    answer(a, ca, ids(a)[1], 4)
    S.sync(a)
    r = S.sync(b)
    assert not r.problems and r.added == 2
    assert logs(a) == logs(b)


def test_conflict_copies_are_read_never_doubled(two_homes):
    folder, (a, ca), (b, _) = two_homes
    answer(a, ca, ids(a)[0], 4)
    S.sync(a)
    path = journal(folder, a)
    shutil.copy(path, path.with_name(path.stem + " (conflicted copy 2026-03-02).jsonl"))
    answer(a, ca, ids(a)[1], 4)
    S.sync(a)
    # the copy a sync tool kept holds a line the main file lost
    extra = path.read_bytes().splitlines(keepends=True)[-1]
    path.with_name(path.name + ".sync-conflict-20260302-101010-ABCDEFG").write_bytes(extra)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))
    r = S.sync(b)
    assert r.added == 2
    assert logs(a) == logs(b) and states(a) == states(b)
    assert S.sync(b).added == 0


def test_truncated_journal_is_reported_and_nothing_merged_is_lost(two_homes):
    folder, (a, ca), (b, _) = two_homes
    for i in range(3):
        answer(a, ca, ids(a)[i], 4)
    S.sync(a)
    S.sync(b)
    path = journal(folder, a)
    path.write_bytes(path.read_bytes().splitlines(keepends=True)[0])
    r = S.sync(b)
    assert any("truncated" in p for p in r.problems)
    assert len(logs(b)) == 3
    # and a hand-edited line is named, the rest still read
    path.write_bytes(path.read_bytes() + b"not json\n")
    r = S.sync(b)
    assert any("line 2" in p for p in r.problems)
    assert len(logs(b)) == 3


def test_clock_a_day_ahead_still_one_timeline(tmp_path):
    folder = tmp_path / "shared"
    a, ca = home(tmp_path, "a", folder)
    b, cb = home(tmp_path, "b", folder, skew=timedelta(days=1))
    answer(b, cb, ids(b)[0], 5)  # "tomorrow", by b's clock
    answer(a, ca, ids(a)[0], 1)
    answer(a, ca, ids(a)[0], 4)
    for s in (a, b, a):
        S.sync(s)
    assert logs(a) == logs(b) and states(a) == states(b)
    assert a.card(ids(a)[0]).reviews == 3 and len(logs(a)) == 3  # every answer counted once


def test_events_for_unknown_cards_wait_and_land_later(tmp_path):
    folder = tmp_path / "shared"
    a, ca = home(tmp_path, "a", folder)
    add_deck(a, "beta", 2)
    b, _ = home(tmp_path, "b", folder)
    with a.database.connect() as conn:
        beta = conn.execute(
            "SELECT c.id FROM card c JOIN deck d ON d.id = c.deck_id WHERE d.key = 'beta'").fetchone()[0]
    answer(a, ca, beta, 4)
    S.sync(a)
    r = S.sync(b)
    assert r.pending == 1 and S.status(b).pending_in == 1
    r = S.sync(b)  # still waiting, not dropped
    assert r.pending == 1 and S.status(b).pending_in == 1
    add_deck(b, "beta", 2)
    r = S.sync(b)
    assert r.added == 1 and r.pending == 0
    assert logs(a) == logs(b)


def test_history_before_sync_is_shared(tmp_path):
    folder = tmp_path / "shared"
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "UTC")
    a = Store.open(tmp_path / "a", clock=clock)
    add_deck(a, "alpha", 6)
    answer(a, clock, ids(a)[0], 4)
    a.suspend(ids(a)[1])
    S.enable(a, folder)
    b, _ = home(tmp_path, "b", folder)
    S.sync(a)
    S.sync(b)
    assert logs(a) == logs(b) and states(a) == states(b)
    line = journal(folder, a).read_text().splitlines()[0]
    assert json.loads(line)["t"] == "answer"


def test_unbury_and_undo_of_a_bury_travel(tmp_path):
    folder = tmp_path / "shared"
    a, ca = home(tmp_path, "a", folder)
    b, cb = home(tmp_path, "b", folder)
    ia, ib = ids(a), ids(b)
    a.bury(ia[0])
    a.bury(ia[1])
    for s in (a, b):
        S.sync(s)
    assert b.card(ib[0]).buried_until and b.card(ib[1]).buried_until
    ca.advance(minutes=1)
    a.unbury(ia[0])
    ca.advance(minutes=1)
    assert a.undo_action() is not None  # the unbury of card 0: buried again
    assert a.undo_action() is not None  # the unbury undone... then the bury of card 1
    ca.advance(minutes=1)
    a.undo_action()  # and the bury of card 0
    for s in (a, b):
        S.sync(s)
    assert states(a) == states(b)
    assert b.card(ib[0]).buried_until is None and b.card(ib[1]).buried_until is None


def test_answer_after_a_merged_bury_is_recorded_alike(tmp_path):
    # the sequence once reported as a convergence bug: bury X and answer X on one home, sync,
    # then answer X on a third home; every home must derive the same log fields
    folder = tmp_path / "shared"
    homes = [home(tmp_path, f"h{i}", folder) for i in range(3)]
    (s0, c0), (_s1, _c1), (s2, c2) = homes
    s0.bury(ids(s0)[2])
    answer(s0, c0, ids(s0)[2], 3)
    S.sync(s0)
    S.sync(s2)
    answer(s2, c2, ids(s2)[2], 4)
    stores = [s for s, _ in homes]
    for s in stores + stores:
        S.sync(s)
    for s in stores[1:]:
        assert logs(s) == logs(stores[0]) and states(s) == states(stores[0])


def test_answer_after_a_merged_later_answer_sorts_after_it(tmp_path):
    # found by the state machine: h1's clock is a second ahead of h0's; h0 merges h1's answer
    # and answers the same card "earlier" by its clock. The answer was given on the state the
    # learner saw, so it is dated just after the merged one, and every home replays it alike.
    folder = tmp_path / "shared"
    (s0, c0), (s1, c1) = home(tmp_path, "h0", folder), home(tmp_path, "h1", folder)
    answer(s1, c1, ids(s1)[0], 0)
    S.sync(s1)
    S.sync(s0)
    answer(s0, c0, ids(s0)[0], 0)
    for s in (s0, s1, s0):
        S.sync(s)
    assert logs(s0) == logs(s1) and states(s0) == states(s1)
    assert [r[6] for r in sorted(logs(s0).values(), key=lambda r: r[2])] == ["new", "drill"]


def test_a_journal_of_endless_right_answers_merges_with_the_interval_capped(tmp_path):
    """120 perfect answers once overflowed SQLite's integer (the merge then refused the journal
    and blocked the folder); SM-2 intervals now stop at 36,500 days, so it merges whole."""
    folder = tmp_path / "shared"
    b, _ = home(tmp_path, "b", folder)
    with b.database.connect() as conn:
        uid, chash = conn.execute("SELECT uid, content_hash FROM card ORDER BY position").fetchone()
    lines = []
    for i in range(120):  # a grade 5 every day
        at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=i)
        lines.append(json.dumps({"t": "answer", "uid": f"x{i}", "card": uid, "deck": "alpha", "hash": chash,
                                 "day": at.date().isoformat(), "grade": 5, "ms": 1, "at": at.isoformat(),
                                 "dev": "f0f0f0f0f0f0", "seq": i + 1}))
    journal = folder / "devices" / "f0f0f0f0f0f0" / "2026-01.jsonl"
    journal.parent.mkdir(parents=True)
    journal.write_text("\n".join(lines) + "\n")
    assert S.sync(b).added == 120
    assert len(logs(b)) == 120
    with b.database.connect() as conn:
        assert conn.execute("SELECT max(interval) FROM card_state").fetchone()[0] == 36_500


class ThreeHomes(RuleBasedStateMachine):
    """Three homes on one folder; study, undo, bury, suspend, scheduler switches, FSRS options and
    syncs in any order."""

    def __init__(self) -> None:
        super().__init__()
        import tempfile

        self.root = Path(tempfile.mkdtemp(prefix="studyllm-sync-"))
        self.folder = self.root / "shared"
        self.homes = [home(self.root, f"h{i}", self.folder) for i in range(3)]
        self.given: set[str] = set()
        self.undone: set[str] = set()

    @rule(h=st.integers(0, 2), card=st.integers(0, 5), grade=st.integers(0, 5))
    def study(self, h: int, card: int, grade: int) -> None:
        store, clock = self.homes[h]
        self.given.add(answer(store, clock, ids(store)[card], grade))

    @rule(h=st.integers(0, 2))
    def undo(self, h: int) -> None:
        store, _ = self.homes[h]
        top = store._undo_stack[-1] if store._undo_stack else None  # (action, ref, flag before)
        done = store.undo_action()
        if done is not None and done.action == "answer" and top is not None and top[0] == "answer":
            self.undone.add(top[1])

    @rule(h=st.integers(0, 2), card=st.integers(0, 5), on=st.booleans())
    def suspend(self, h: int, card: int, on: bool) -> None:
        store, clock = self.homes[h]
        clock.advance(minutes=1)
        store.set_suspended(ids(store)[card], on)

    @rule(h=st.integers(0, 2), card=st.integers(0, 5))
    def bury(self, h: int, card: int) -> None:
        store, clock = self.homes[h]
        clock.advance(minutes=1)
        store.bury(ids(store)[card])

    @rule(h=st.integers(0, 2), card=st.integers(0, 5))
    def unbury(self, h: int, card: int) -> None:
        store, clock = self.homes[h]
        clock.advance(minutes=1)
        store.unbury(ids(store)[card])

    @rule(h=st.integers(0, 2), to=st.sampled_from(["sm2", "fsrs"]))
    def switch_scheduler(self, h: int, to: str) -> None:
        store, clock = self.homes[h]
        clock.advance(minutes=1)
        store.set_setting("scheduler", to)

    @rule(h=st.integers(0, 2), retention=st.sampled_from([0.8, 0.9, 0.95]))
    def fsrs_retention(self, h: int, retention: float) -> None:
        store, clock = self.homes[h]
        clock.advance(minutes=1)
        store.set_setting("desired_retention", retention)

    @rule(h=st.integers(0, 2))
    def sync(self, h: int) -> None:
        S.sync(self.homes[h][0])

    def teardown(self) -> None:
        stores = [s for s, _ in self.homes]
        for s in stores + stores:
            S.sync(s)
        ref_logs, ref_states = logs(stores[0]), states(stores[0])
        assert set(ref_logs) == self.given - self.undone  # none lost, none doubled, undo everywhere
        ref_full = (full_logs(stores[0]), full_states(stores[0]))
        for s in stores[1:]:
            assert logs(s) == ref_logs
            assert states(s) == ref_states
            assert (full_logs(s), full_states(s)) == ref_full  # FSRS's fields too
            assert s.settings() == stores[0].settings()  # the scheduler and its options travelled
        for s in stores:
            r = S.sync(s)
            assert (r.added, r.undone, r.flags, r.cards_replayed) == (0, 0, 0, 0)
            s.close()
        shutil.rmtree(self.root, ignore_errors=True)


TestThreeHomes = ThreeHomes.TestCase
TestThreeHomes.settings = settings(max_examples=25, stateful_step_count=25, deadline=None,
                                   suppress_health_check=[HealthCheck.too_slow])


def test_an_undo_and_a_new_answer_arriving_together_replay_the_card_from_the_start():
    """Found by the three-home machine: h0 answers, syncs; h1 takes the answer; h0 undoes it and
    answers again. h1 then gets the undo and the new answer in one pull: its stored state still
    counted the undone answer, so going on from it gave the new answer the wrong "before"."""
    m = ThreeHomes()
    m.study(h=0, card=0, grade=0)
    m.sync(h=0)
    m.sync(h=1)
    m.undo(h=0)
    m.study(h=0, card=0, grade=0)
    m.teardown()  # every home has the same log and the same states


def test_two_homes_answering_a_card_at_one_instant_give_one_order_everywhere():
    """Found by the three-home machine: h2's answer reached h0 and h1, and both answered the card
    again at the same instant (a frozen clock). Each home put its own answer first, so h0 kept its
    answer as a drill that h1 and h2 replayed as a relearn. Ties go by the answer's uid on every home."""
    m = ThreeHomes()
    m.study(card=0, grade=0, h=2)
    m.sync(h=2)
    m.sync(h=0)
    m.sync(h=1)
    m.study(card=0, grade=0, h=0)
    m.study(card=0, grade=4, h=1)
    m.teardown()  # every home has the same log and the same states
