"""Two studyllm processes at once: no "database is locked", no lost review, no double answer."""

from __future__ import annotations

import subprocess
import time

import pytest
from conftest import add_deck

from studyllm.store import Store, StoreError
from studyllm.testing.reliability import (
    IMPORT_DECK_KEY,
    db_version,
    expected_fronts,
    graded_twice,
    integrity,
    lines,
    log_uids,
    setup_home,
    spawn,
    state_mismatches,
)

pytestmark = pytest.mark.slow


def test_two_writers_and_an_importer_at_once(tmp_path):
    home = tmp_path / "home"
    setup_home(home, {"alpha": 40, "beta": 40})
    db = home / "studyllm.db"
    procs = []
    for name, args in (
        ("a", ["answer", str(home), "1", "alpha"]),
        ("b", ["answer", str(home), "2", "beta"]),
        ("imp", ["import", str(home), "0", IMPORT_DECK_KEY, "3"]),
    ):
        out, err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
        procs.append((name, spawn(args, out, err), out, err))
    deadline = time.monotonic() + 90
    for name, proc, _out, err in procs:
        try:
            proc.wait(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"{name} did not finish: {err.read_text()[-1500:]}") from None
    acked = set()
    for name, proc, out, err in procs:
        stderr = err.read_text()
        assert proc.returncode == 0, f"{name} failed: {stderr[-2000:]}"
        assert "locked" not in stderr and "Traceback" not in stderr, stderr[-2000:]
        parsed = lines(out)
        assert parsed[-1] == ["DONE"], f"{name} stopped early"
        acked |= {p[1] for p in parsed if p[0] == "ACK"}
    assert len(acked) >= 80  # every card of both decks answered at least once
    assert acked == log_uids(db)  # nothing lost, nothing extra
    assert integrity(db) == "ok"
    assert state_mismatches(db) == 0
    assert graded_twice(db) == 0
    version, fronts, orphans = db_version(db)
    assert version == 2 and fronts == expected_fronts(2) and orphans == 0


def test_a_second_window_sees_answers_made_in_the_first(tmp_path, clock):
    """Two stores on one file (two TUIs): an answer in one is visible to the other at once,
    so its next card moves on instead of showing the same card again."""
    home = tmp_path / "home"
    a = Store.open(home, clock=clock)
    b = Store.open(home, clock=clock)
    try:
        add_deck(a, "d", 3)
        first = a.next_card()
        assert b.next_card().id == first.id
        a.answer(first.id, 5)
        assert b.next_card().id != first.id
        assert b.counts().new == 2
    finally:
        a.close()
        b.close()


def test_stale_card_from_another_window_is_not_answered_twice(tmp_path, clock):
    home = tmp_path / "home"
    a = Store.open(home, clock=clock)
    b = Store.open(home, clock=clock)
    try:
        add_deck(a, "d", 3)
        shown_a = a.next_card()
        shown_b = b.next_card()
        assert shown_a.id == shown_b.id  # both windows show the same new card
        a.answer(shown_a.id, 5, shown=shown_a)
        with pytest.raises(StoreError, match="another"):
            b.answer(shown_b.id, 5, shown=shown_b)
        assert len(a.history(shown_a.id)) == 1
    finally:
        a.close()
        b.close()
