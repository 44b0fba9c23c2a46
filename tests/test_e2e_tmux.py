"""End to end in a real terminal: run the installed ``studyllm`` in tmux with a temporary
home, study a few cards by sending keys, quit, reopen, and check the screen and the
database."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
def _installed_command() -> str | None:
    found = shutil.which("studyllm")
    if found:
        return found
    beside = Path(sys.executable).parent / "studyllm"  # the venv's script when the venv isn't on PATH
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


STUDYLLM = _installed_command()

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed"),
    pytest.mark.skipif(STUDYLLM is None, reason="the studyllm command is not on PATH (pip install -e .)"),
]


def tmux(*args: str) -> str:
    return subprocess.run([TMUX, *args], check=True, capture_output=True, text=True).stdout


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait_for(session: str, text: str, timeout: float = 40.0) -> str:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen(session)
        if text in shown:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; screen was:\n{shown}")


def start(session: str, home: str) -> None:
    cmd = f"{STUDYLLM} --home '{home}'; echo STUDYLLM-EXITED $?; sleep 30"
    env_cmd = f"env TERM=xterm-256color {cmd}"
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", env_cmd)


def test_study_quit_reopen_keeps_progress(tmp_path):
    home = str(tmp_path / "home")
    session = f"studyllm-e2e-{uuid.uuid4().hex[:8]}"
    try:
        start(session, home)
        wait_for(session, "Decks")
        wait_for(session, "0 answered")  # the counts load in a worker, just after the table
        tmux("send-keys", "-t", session, "s")
        for i in range(3):
            wait_for(session, "Show answer")
            tmux("send-keys", "-t", session, "Space")
            wait_for(session, "5 perfect")  # the grade bar, once the answer shows
            tmux("send-keys", "-t", session, "5")
            wait_for(session, f"{i + 1} done")
        tmux("send-keys", "-t", session, "Escape")
        wait_for(session, "Decks")
        tmux("send-keys", "-t", session, "q")
        wait_for(session, "STUDYLLM-EXITED 0")
        tmux("kill-session", "-t", session)

        with sqlite3.connect(os.path.join(home, "studyllm.db")) as db:
            grades = [r[0] for r in db.execute("SELECT grade FROM review_log ORDER BY id")]
            learning = db.execute("SELECT count(*) FROM card_state WHERE reviews > 0").fetchone()[0]
        assert grades == [5, 5, 5]
        assert learning == 3

        start(session, home)
        shown = wait_for(session, "Decks")
        assert "Today: 3 answered" in shown
        assert "Streak: 1 day" in shown
        tmux("send-keys", "-t", session, "q")
        wait_for(session, "STUDYLLM-EXITED 0")
    finally:
        subprocess.run([TMUX, "kill-session", "-t", session], capture_output=True)
