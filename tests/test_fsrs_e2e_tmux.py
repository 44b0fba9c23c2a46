"""End to end in FSRS mode, in a real terminal: switch to FSRS with the settings command, study
in tmux (the grade bar shows FSRS's learning steps and days, the line after a grade says when
the card comes back), quit, check the database, and switch back to SM-2."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import uuid

import pytest
from test_e2e_tmux import STUDYLLM, TMUX, start, tmux, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed"),
    pytest.mark.skipif(STUDYLLM is None, reason="the studyllm command is not on PATH (pip install -e .)"),
]


def run(home: str, *args: str) -> str:
    assert STUDYLLM is not None
    done = subprocess.run([STUDYLLM, "--home", home, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_study_in_fsrs_mode_in_a_real_terminal(tmp_path):
    home = str(tmp_path / "home")
    assert 'scheduler = "fsrs"' in run(home, "settings", "scheduler", "fsrs")
    session = f"studyllm-fsrs-{uuid.uuid4().hex[:8]}"
    try:
        start(session, home)
        wait_for(session, "Decks")
        wait_for(session, "0 answered")
        tmux("send-keys", "-t", session, "s")
        wait_for(session, "Show answer")
        tmux("send-keys", "-t", session, "Space")
        shown = wait_for(session, "How well did you recall it")
        # a new card under FSRS's default steps (1m, 10m): minutes for 0-4, days for 5
        assert re.search(r"0 \w+ ?· ?1m", shown), shown
        assert re.search(r"4 \w+ ?· ?10m", shown), shown
        assert re.search(r"5 \w+ ?· ?\d+d", shown), shown
        tmux("send-keys", "-t", session, "4")
        back = wait_for(session, "comes back in")
        assert "comes back in 10m" in back, back
        wait_for(session, "1 done")
        wait_for(session, "Show answer")
        tmux("send-keys", "-t", session, "Space")
        wait_for(session, "How well did you recall it")
        tmux("send-keys", "-t", session, "5")
        back = wait_for(session, "comes back in")
        days = re.search(r"comes back in (\d+)d", back)
        assert days, back
        tmux("send-keys", "-t", session, "Escape")
        wait_for(session, "Decks")
        tmux("send-keys", "-t", session, "q")
        wait_for(session, "STUDYLLM-EXITED 0")
    finally:
        subprocess.run([TMUX, "kill-session", "-t", session], capture_output=True)

    db = os.path.join(home, "studyllm.db")
    with sqlite3.connect(db) as conn:
        log = conn.execute("SELECT grade, fsrs_after FROM review_log ORDER BY id").fetchall()
        states = conn.execute("SELECT fsrs_state, drill_day, interval FROM card_state WHERE reviews > 0"
                              " ORDER BY last_reviewed_at").fetchall()
    assert [g for g, _ in log] == [4, 5]
    assert all(json.loads(after)["stability"] > 0 for _, after in log)
    assert states[0][1] is not None  # the Good: a learning step, back the same day
    assert states[1][1] is None and states[1][2] == int(days.group(1))
    # back to SM-2: the FSRS state is dropped and the cards are SM-2's replay of their log
    run(home, "settings", "scheduler", "sm2")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM card_state WHERE fsrs_state IS NOT NULL"
                            " OR sm2_saved IS NOT NULL").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM card_state WHERE reviews > 0 AND repetitions = 1").fetchone()[0] == 2
