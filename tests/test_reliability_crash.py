"""kill -9 at random moments: every acknowledged answer survives, imports are all-or-nothing.

A real child process (``tests/test_reliability_driver.py``) answers cards through the
Store API and prints ``ACK <log uid>`` after each ``answer()`` returns; we SIGKILL it at a
random moment, many times over the same database, and check that every acknowledged
answer is there, no answer is half-written and ``PRAGMA integrity_check`` is ok.
``benchmarks/crash_rounds.py`` runs the same rounds a few hundred times.
"""

from __future__ import annotations

import random
import shutil

import pytest

from studyllm.store import Store
from studyllm.store.importer import import_parsed
from test_reliability_driver import (
    IMPORT_DECK_KEY,
    answer_round,
    cli_import_round,
    deck_version,
    import_round,
    make_export,
    merge_round,
    setup_home,
)

pytestmark = pytest.mark.slow

ROUNDS = 5


def test_kill9_while_answering_loses_no_acknowledged_answer(tmp_path):
    home = tmp_path / "home"
    setup_home(home, {"alpha": 1500})
    rng = random.Random(8)
    total_acked = 0
    for i in range(ROUNDS):
        result = answer_round(home, rng, tmp_path)
        assert result.ok, f"round {i}: {result}"
        total_acked += result.acked
        # the database opens cleanly after every crash (WAL recovery) and serves cards
        with Store.open(home) as store:
            assert store.next_card() is not None
    assert total_acked > 0, "no answer was acknowledged before the kills: the test proved nothing"


def test_kill9_during_import_keeps_whole_file_or_nothing(tmp_path):
    home = tmp_path / "home"
    setup_home(home, {})
    with Store.open(home) as store:
        assert import_parsed(store, deck_version(0), source_path=f"/nonexistent/{IMPORT_DECK_KEY}.md").ok
    rng = random.Random(3)
    version, committed = 1, 0
    for i in range(2):
        result = import_round(home, rng, tmp_path, version)
        assert result.ok, f"round {i}: {result}"
        committed += 0 if result.committed is None else result.committed - version + 1
        version = result.found + 1
    assert committed > 0, "no import finished before the kills: the test proved nothing"


def test_kill9_during_studyllm_import_command(tmp_path):
    """The real ``studyllm import`` on a 2,000-card Markdown file, killed at random moments:
    the deck is wholly the old version of the file or wholly the new one."""
    home = tmp_path / "home"
    setup_home(home, {})
    deck = tmp_path / "bulk.md"
    rng = random.Random(11)
    for version in (1, 2):
        result = cli_import_round(home, deck, version, rng, tmp_path, n=2000, delay=(1.0, 3.5))
        assert result.ok, f"version {version}: {result}"


def test_kill9_during_import_progress_merge(tmp_path):
    """``studyllm import-progress`` killed at random moments: all of the file's answers are
    merged or none, and every card's state agrees with its log."""
    export = tmp_path / "export.json"
    expected = make_export(export, n_cards=200, answers=1)
    template = tmp_path / "template"
    setup_home(template, {"merge": 200})
    rng = random.Random(5)
    for i in range(2):
        home = tmp_path / f"home{i}"
        shutil.copytree(template, home)
        result = merge_round(home, export, expected, rng, tmp_path, delay=(0.8, 2.8))
        assert result.ok, f"round {i}: {result}"
        # running the command again after the crash completes the merge
        again = merge_round(home, export, expected, rng, tmp_path, delay=(60, 60))
        assert again.ok and again.outcome == "all" and again.finished, again
