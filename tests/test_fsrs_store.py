"""The store on the scheduler protocol (issue #20): FSRS answers, switching sm2 <-> fsrs,
undo across a switch, merge from a device on the other scheduler, the v1 fixtures, settings."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import add_deck

from studyllm.clock import FrozenClock
from studyllm.schedule import FsrsState, fuzz_seed, scheduler
from studyllm.store import Store
from studyllm.store.db import write_tx
from studyllm.store.export import export_json
from studyllm.store.export_format import parse_json_export
from studyllm.store.merge import merge_export
from studyllm.store.settings import parse_cli_value, validate

pytest.importorskip("fsrs")

DATA = Path(__file__).resolve().parent / "data"
T0 = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def rows(store: Store) -> tuple[list[tuple], list[tuple]]:
    with store.database.connect() as conn:
        states = conn.execute("SELECT * FROM card_state ORDER BY card_id").fetchall()
        log = conn.execute("SELECT * FROM review_log ORDER BY id").fetchall()
    return states, log


def state(store: Store, card_id: int) -> dict:
    with store.database.connect() as conn:
        cur = conn.execute("SELECT * FROM card_state WHERE card_id = ?", (card_id,))
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))


def study(store: Store, clock: FrozenClock, plan: list[tuple[int, int]]) -> None:
    """Answer the next card with each grade, waiting the given minutes after each answer."""
    for grade, wait in plan:
        card = store.next_card()
        if card is not None:
            store.answer(card.id, grade, 1000, shown=card)
        clock.advance(minutes=wait)


PLAN = [(4, 1), (2, 1), (5, 1), (3, 11), (4, 11), (1, 60 * 24), (4, 60 * 24), (5, 60 * 24 * 3), (0, 20),
        (4, 60 * 24 * 7), (3, 60 * 24 * 2), (4, 1), (4, 60 * 24 * 10), (2, 15), (5, 60 * 24 * 30)] * 2


@pytest.fixture
def history(store, clock):
    add_deck(store, "d", 6)
    study(store, clock, PLAN)
    return store


def no_fuzz(store: Store) -> None:
    store.set_setting("fsrs_fuzz", False)
    store.set_setting("fsrs_learning_steps", [])
    store.set_setting("fsrs_relearning_steps", [])


# ------------------------------------------------------------------ answers through FSRS


def test_an_fsrs_answer_is_what_the_fsrs_scheduler_gives(store, clock):
    no_fuzz(store)
    store.set_setting("scheduler", "fsrs")
    add_deck(store, "d", 1)
    s = scheduler("fsrs", desired_retention=0.9, learning_steps=(), relearning_steps=(), fuzz=False)
    fs = s.new_state()
    for grade, days in ((4, 0), (3, 3), (5, 4), (1, 20), (4, 1)):
        clock.advance(days=days)
        card = store.card(1)
        result = store.answer(card.id, grade)
        fs, due = s.review(fs, grade, clock.now())
        st = state(store, 1)
        assert FsrsState.from_json(json.loads(st["fsrs_state"])) == fs
        assert result.due_day == store.today() + timedelta(days=(due - clock.now()).days)
    with store.database.connect() as conn:
        after = conn.execute("SELECT fsrs_after FROM review_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert FsrsState.from_json(json.loads(after)) == fs


def test_fsrs_learning_steps_are_same_day_repetitions(store, clock):
    store.set_setting("scheduler", "fsrs")  # the package's steps: 1m, 10m; relearning 10m
    add_deck(store, "d", 2)
    card = store.next_card()
    r = store.answer(card.id, 1)
    assert r.drill_again and r.due_day == store.today()
    assert store.next_card().id != card.id  # not before the step's minute has passed
    clock.advance(seconds=61)
    again = store.next_card()
    assert again is not None and again.id == card.id and again.is_drill
    r = store.answer(again.id, 4)  # good: on to the 10-minute step
    assert r.kind == "drill" and r.drill_again
    clock.advance(minutes=9)
    assert store.next_card().id != card.id
    clock.advance(minutes=2)
    assert store.next_card().id == card.id
    r = store.answer(card.id, 4)
    assert not r.drill_again and r.due_day > store.today()
    assert state(store, card.id)["queue"] == 2  # FSRS's review phase


def test_preview_equals_what_each_grade_then_does_in_fsrs_mode(history, clock):
    store = history
    store.set_setting("scheduler", "fsrs")
    for _ in range(12):
        card = store.next_card()
        if card is None:
            clock.advance(days=2)
            continue
        shown = store.preview_answer(card)
        for grade in range(6):
            r = store.answer(card.id, grade, shown=card)
            nd = shown[grade]
            assert r.due_day == nd.due_day
            assert r.drill_again == (nd.minutes is not None)
            store.undo()
        r = store.answer(card.id, 4, shown=card)
        clock.advance(hours=20)


def test_fuzz_is_seeded_per_card_so_undo_gives_the_same_interval(history, clock):
    store = history
    store.set_setting("scheduler", "fsrs")
    store.set_setting("fsrs_learning_steps", [])
    clock.advance(days=60)
    card = store.next_card()
    first = store.answer(card.id, 4, shown=card)
    store.undo()
    second = store.answer(card.id, 4, shown=store.card(card.id))
    assert first.due_day == second.due_day
    assert fuzz_seed(card.uid, 3) == fuzz_seed(card.uid, 3) != fuzz_seed(card.uid, 4)


# ------------------------------------------------------------------ switching


def test_switch_sm2_fsrs_sm2_restores_every_state_exactly(history):
    store = history
    before = rows(store)
    changed = store.set_setting("scheduler", "fsrs")
    assert changed and changed > 0
    states, _ = rows(store)
    assert states != before[0]
    for cid in range(1, 7):
        st = state(store, cid)
        assert (st["sm2_saved"] is not None) == (st["fsrs_state"] is not None) == (st["reviews"] > 0)
    store.set_setting("scheduler", "sm2")
    assert rows(store) == before


def test_fsrs_state_after_a_switch_is_the_replay_of_the_cards_own_log(history):
    store = history
    no_fuzz(store)
    store.set_setting("scheduler", "fsrs")
    s = scheduler("fsrs", learning_steps=(), relearning_steps=(), fuzz=False)
    for cid in range(1, 7):
        fs = s.new_state()
        for h in store.history(cid):
            fs, _ = s.review(fs, h["grade"], datetime.fromisoformat(h["reviewed_at"]))
        st = state(store, cid)
        if st["reviews"]:
            assert FsrsState.from_json(json.loads(st["fsrs_state"])) == fs


def test_answers_given_under_fsrs_are_replayed_through_sm2_when_switching_back(history, clock):
    store = history
    store.set_setting("scheduler", "fsrs")
    clock.advance(days=40)
    study(store, clock, [(4, 1), (1, 30), (5, 60 * 24 * 2), (3, 60)] * 3)
    store.set_setting("scheduler", "sm2")
    got, _ = rows(store)
    # the same log replayed from scratch through SM-2 gives the same states
    store.rebuild_states()
    assert rows(store)[0] == got
    assert all(state(store, cid)["fsrs_state"] is None for cid in range(1, 7))


def test_a_card_reviewed_without_a_log_starts_from_its_sm2_state(store, clock):
    add_deck(store, "d", 2)
    with write_tx(store.database) as conn:  # as an Anki import takes a schedule over
        conn.execute("UPDATE card_state SET queue = 2, repetitions = 5, ef_centi = 230, interval = 40,"
                     " due_day = '2026-03-20', reviews = 5, last_reviewed_at = '2026-02-08T10:00:00+00:00'"
                     " WHERE card_id = 1")
    before = rows(store)
    store.set_setting("scheduler", "fsrs")
    st = state(store, 1)
    fs = FsrsState.from_json(json.loads(st["fsrs_state"]))
    assert fs.phase == 2 and fs.stability == pytest.approx(40, rel=1e-6)  # S = interval at 90 %
    assert 1 <= fs.difficulty <= 10 and st["due_day"] == "2026-03-20"
    assert state(store, 2)["fsrs_state"] is None  # a new card stays new
    store.set_setting("scheduler", "sm2")
    assert rows(store) == before


def test_undo_works_across_a_switch(history, clock):
    store = history
    clock.advance(days=30)
    card = store.next_card()
    store.answer(card.id, 4, shown=card)  # under SM-2
    store.set_setting("scheduler", "fsrs")
    assert store.undo() == card.id
    fsrs_state = state(store, card.id)
    n = len(store.history(card.id))
    # the card is what FSRS makes of its remaining log
    store.rebuild_states([card.id])
    assert state(store, card.id)["fsrs_state"] == fsrs_state["fsrs_state"]
    # an answer under FSRS, a switch back, and its undo
    card = store.card(card.id)
    store.answer(card.id, 5, shown=card)
    store.set_setting("scheduler", "sm2")
    assert store.undo() == card.id
    assert len(store.history(card.id)) == n
    got = state(store, card.id)
    store.rebuild_states([card.id])
    assert state(store, card.id) == got and got["fsrs_state"] is None and got["sm2_saved"] is None


def test_undo_of_an_fsrs_answer_restores_it_exactly(history, clock):
    store = history
    store.set_setting("scheduler", "fsrs")
    clock.advance(days=30)
    before = rows(store)
    card = store.next_card()
    store.answer(card.id, 2, shown=card)
    store.undo()
    assert rows(store) == before


def test_merge_of_a_log_from_a_device_on_the_other_scheduler(history, clock, tmp_path):
    phone = history  # SM-2
    buf = io.StringIO()
    export_json(phone, buf)
    data = parse_json_export(buf.getvalue(), "phone.json")
    laptop = Store.memory(clock=FrozenClock(T0, "Europe/Berlin"))
    try:
        add_deck(laptop, "d", 6)
        laptop.set_setting("scheduler", "fsrs")
        report = merge_export(laptop, data)
        assert report.added == len(data.log) > 0
        merged = {cid: state(laptop, cid) for cid in range(1, 7)}
        assert all(st["fsrs_state"] for st in merged.values() if st["reviews"])
        laptop.rebuild_states()  # the merged states are FSRS's replay of the log
        assert {cid: state(laptop, cid) for cid in range(1, 7)} == merged
        # and back on SM-2 the laptop has the phone's states
        laptop.set_setting("scheduler", "sm2")
        cols = "queue, repetitions, ef_centi, interval, due_day, reviews, lapses, drill_day, leech"
        with laptop.database.connect() as a, phone.database.connect() as b:
            q = f"SELECT c.uid, {cols} FROM card_state s JOIN card c ON c.id = s.card_id ORDER BY c.uid"
            assert a.execute(q).fetchall() == b.execute(q).fetchall()
    finally:
        laptop.close()


def test_export_carries_the_scheduler_state(history):
    store = history
    store.set_setting("scheduler", "fsrs")
    buf = io.StringIO()
    export_json(store, buf)
    doc = json.loads(buf.getvalue())
    text = json.dumps(doc)
    assert "fsrs_state" in text and '"stability' in text


# ------------------------------------------------------------------ the v1 fixture


def test_a_v1_database_migrates_and_switches_there_and_back(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(DATA / "schema_v1.db", home / "studyllm.db")
    with Store.open(home) as store:
        with store.database.connect() as conn:
            assert conn.execute("SELECT count(*) FROM card_state WHERE fsrs_state IS NOT NULL"
                                " OR sm2_saved IS NOT NULL").fetchone()[0] == 0
            assert conn.execute("SELECT count(*) FROM review_log WHERE fsrs_after IS NOT NULL").fetchone()[0] == 0
        before = rows(store)
        assert store.set_setting("scheduler", "fsrs")
        store.set_setting("scheduler", "sm2")
        assert rows(store) == before
    con = sqlite3.connect(home / "studyllm.db")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


# ------------------------------------------------------------------ settings


@pytest.mark.parametrize(("key", "value", "why"), [
    ("scheduler", "sm3", "one of sm2, fsrs"),
    ("desired_retention", 0.5, "from 0.70 to 0.99"),
    ("desired_retention", 1, "from 0.70 to 0.99"),
    ("desired_retention", "0.9", "a number"),
    ("maximum_interval", 0, "from 1 to 36500"),
    ("fsrs_learning_steps", [10, 1], "increasing"),
    ("fsrs_learning_steps", [0], "from 1 to 1440"),
    ("fsrs_relearning_steps", ["10"], "whole minutes"),
    ("fsrs_fuzz", 1, "on or off"),
])
def test_bad_scheduler_settings_are_refused_with_the_reason(store, key, value, why):
    with pytest.raises(ValueError, match=why):
        store.set_setting(key, value)


def test_scheduler_settings_from_the_command_line():
    assert parse_cli_value("desired_retention", "0.85") == 0.85
    assert parse_cli_value("fsrs_learning_steps", "1, 10m,60") == [1, 10, 60]
    assert parse_cli_value("fsrs_relearning_steps", "") == []
    assert parse_cli_value("fsrs_fuzz", "off") is False
    with pytest.raises(ValueError, match="on or off"):
        parse_cli_value("fsrs_fuzz", "maybe")
    with pytest.raises(ValueError, match="a number"):
        parse_cli_value("desired_retention", "high")
    assert validate("scheduler", "fsrs") == "fsrs"


def test_the_settings_command_switches_scheduler(tmp_path, capsys):
    from studyllm.cli import main

    home = tmp_path / "h"
    assert main(["--home", str(home), "settings", "scheduler", "fsrs"]) == 0
    assert 'scheduler = "fsrs"' in capsys.readouterr().out
    assert main(["--home", str(home), "settings", "desired_retention", "2"]) == 2
    assert "0.70 to 0.99" in capsys.readouterr().err


# ------------------------------------------------------------------ replay = answer, under FSRS

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as hs  # noqa: E402

_plans = hs.lists(
    hs.tuples(hs.integers(0, 2), hs.integers(0, 5),
              hs.sampled_from([1, 11, 60, 60 * 5, 60 * 20, 60 * 24, 60 * 24 * 3, 60 * 24 * 9])),
    min_size=1, max_size=14,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=_plans, fuzz=hs.booleans())
def test_fsrs_replay_gives_what_the_answers_gave(plan, fuzz):
    clock = FrozenClock(datetime(2026, 3, 2, 20, 0, tzinfo=UTC), "Europe/Berlin")
    store = Store.memory(clock=clock)
    other = Store.memory(clock=FrozenClock(datetime(2026, 3, 2, 20, 0, tzinfo=UTC), "Europe/Berlin"))
    try:
        for s in (store, other):
            s.set_setting("leech_lapses", 2)
            s.set_setting("fsrs_fuzz", fuzz)
            s.set_setting("scheduler", "fsrs")
            add_deck(s, "p", 3)
        for card, grade, wait in plan:
            store.answer(card + 1, grade)
            clock.advance(minutes=wait)
        before = rows(store)
        with write_tx(store.database) as conn:  # spoil every derived field, then rebuild from the log
            conn.execute("UPDATE card_state SET fsrs_state = NULL, interval = 3, drill_day = NULL, lapses = 5,"
                         " leech = 1, due_day = '2000-01-01'")
            conn.execute("UPDATE review_log SET kind = '?', fsrs_after = NULL, state_before = '{}'")
        store.rebuild_states()
        assert rows(store) == before
        # and on another home, also on FSRS, through an export
        buf = io.StringIO()
        export_json(store, buf)
        merge_export(other, parse_json_export(buf.getvalue(), "<mem>"))
        cols = "queue, interval, due_day, reviews, lapses, drill_day, leech, fsrs_state"
        with store.database.connect() as a, other.database.connect() as b:
            q = f"SELECT c.uid, {cols} FROM card_state s JOIN card c ON c.id = s.card_id ORDER BY c.uid"
            assert a.execute(q).fetchall() == b.execute(q).fetchall()
    finally:
        store.close()
        other.close()


def test_suspend_and_unsuspend_keep_fsrs_queue(store, clock):
    store.set_setting("scheduler", "fsrs")
    store.set_setting("fsrs_learning_steps", [])
    add_deck(store, "d", 1)
    store.answer(1, 4)  # no steps: straight to FSRS's review phase (SM-2's repetitions stay 0)
    assert state(store, 1)["queue"] == 2 and store.card(1).state_name == "review"
    store.suspend(1)
    assert state(store, 1)["queue"] == -1
    store.unsuspend(1)
    assert state(store, 1)["queue"] == 2
    store.undo()  # the unsuspend
    store.undo()  # the suspend
    assert state(store, 1)["queue"] == 2


def test_the_fsrs_step_due_first_comes_first(store, clock):
    store.set_setting("scheduler", "fsrs")  # steps 1m, 10m
    add_deck(store, "d", 3)
    store.answer(1, 4)  # good on a new card: the 10-minute step
    clock.advance(seconds=30)
    store.answer(2, 1)  # again: the 1-minute step, answered later but due earlier
    clock.advance(minutes=2)
    nxt = store.next_card()
    assert nxt.id == 2 and nxt.is_drill
    clock.advance(minutes=10)
    store.answer(2, 4)
    assert store.next_card().id == 1
