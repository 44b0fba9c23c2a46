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


E2E_DECK = r"""---
title: A first e2e deck
---

# A first e2e deck

## Git

Which of these change the commit history?

- [x] git rebase
- [x] git commit --amend
- [ ] git status
- [ ] git log

## Attention

Why divide the scores by $\sqrt{d_k}$ in $\mathrm{softmax}(QK^T/\sqrt{d_k})$? :: So they don't grow with $d_k$.

What does SFT stand for? :: Supervised fine-tuning.
"""


def _choice_positions(shown: str, texts: list[str]) -> list[str]:
    """The number keys of the choices with these texts, as the shuffled card shows them."""
    keys = []
    for line in shown.splitlines():
        for text in texts:
            body = line.strip().strip("│").strip()
            if body.endswith(f"] {text}") and body[:1].isdigit():
                keys.append(body.split(".", 1)[0])
    assert len(keys) == len(texts), shown
    return keys


@pytest.mark.slow
def test_two_right_choices_math_and_undo_after_bury(tmp_path):
    """Issue #19 in a real terminal: a "choose all that apply" card answered with both right
    choices, a math card shown as Unicode with its source a key away, and undo after bury."""
    home = str(tmp_path / "home")
    deck = tmp_path / "e2e.md"
    deck.write_text(E2E_DECK, encoding="utf-8")
    subprocess.run([STUDYLLM, "--home", home, "import", str(deck)], check=True, capture_output=True, timeout=60)
    session = f"studyllm-e2e-{uuid.uuid4().hex[:8]}"
    try:
        start(session, home)
        wait_for(session, "A first e2e deck")
        wait_for(session, "0 answered")
        tmux("send-keys", "-t", session, "Enter")  # the first deck row: this one
        shown = wait_for(session, "Choose all that apply (2 are right)")
        for key in _choice_positions(shown, ["git rebase", "git commit --amend"]):
            tmux("send-keys", "-t", session, key)
        wait_for(session, "[x] git commit --amend")
        tmux("send-keys", "-t", session, "Space")
        shown = wait_for(session, "All right choices")
        assert "wrong choice" not in shown and "missed" not in shown
        tmux("send-keys", "-t", session, "5")

        shown = wait_for(session, "softmax(QKᵀ/√d_k)")  # the math card, as Unicode
        assert "\\sqrt" not in shown
        tmux("send-keys", "-t", session, "m")
        wait_for(session, "$\\sqrt{d_k}$")  # its source
        tmux("send-keys", "-t", session, "m", "Space")
        wait_for(session, "So they don't grow with d_k")
        tmux("send-keys", "-t", session, "5")

        wait_for(session, "What does SFT stand for?")
        tmux("send-keys", "-t", session, "b")  # bury it: nothing left today
        wait_for(session, "Session complete")  # the summary: 2 answers, the buried card hidden
        tmux("send-keys", "-t", session, "u")  # undo the bury: the card is back
        wait_for(session, "What does SFT stand for?")
        tmux("send-keys", "-t", session, "Space")
        wait_for(session, "5 perfect")
        tmux("send-keys", "-t", session, "5")
        wait_for(session, "3 done")
        tmux("send-keys", "-t", session, "C-q")
        wait_for(session, "STUDYLLM-EXITED 0")

        with sqlite3.connect(os.path.join(home, "studyllm.db")) as db:
            rows = db.execute("SELECT c.kind, r.grade FROM review_log r JOIN card c ON c.id = r.card_id "
                              "ORDER BY r.id").fetchall()
            buried = db.execute("SELECT count(*) FROM card_state WHERE buried_until IS NOT NULL").fetchone()[0]
        assert rows == [("mcq", 5), ("basic", 5), ("basic", 5)]
        assert buried == 0
    finally:
        subprocess.run([TMUX, "kill-session", "-t", session], capture_output=True)
