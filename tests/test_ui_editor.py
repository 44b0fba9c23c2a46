"""``$EDITOR`` failures (issue 17, item 7): whatever goes wrong, the app resumes and a
notification says what happened.

Under Pilot the headless driver can't hand the terminal over, so :meth:`App.suspend` is
replaced by a stand-in that behaves as Textual's does on a real terminal: it resumes the
app only when its block ends normally. The last test drives the real command in tmux."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import TMUX, tmux_cmd, tmux_kill, tmux_wait

from studyllm.ui.app import build_app
from studyllm.ui.editor import FALLBACKS, EditorError, editor_command

DECK = "# Edit me\n\nWhat is teh sum of two and two in base ten? :: 4\n"


def no_program(name: str) -> str | None:
    return None


def test_editor_command_splits_like_a_shell_and_never_raises_anything_else(tmp_path):
    deck = tmp_path / "d.md"
    which = {"code": "/usr/bin/code", "vi": "/usr/bin/vi"}.get
    assert editor_command("code --wait", deck, 7, env={}, which=which) == ["code", "--wait", "+7", str(deck)]
    assert editor_command(None, deck, 3, env={"EDITOR": "vi"}, which=which)[0] == "vi"
    assert editor_command(None, deck, 3, env={"VISUAL": "code", "EDITOR": "vi"}, which=which)[0] == "code"
    assert editor_command(None, deck, 1, env={}, which=which) == ["vi", "+1", str(deck)]  # unset: vi
    with pytest.raises(EditorError, match="fix the quoting"):
        editor_command(None, deck, 1, env={"EDITOR": "vim '"}, which=which)
    with pytest.raises(EditorError, match="isn't installed"):
        editor_command(None, deck, 1, env={"EDITOR": "no-such-editor"}, which=which)
    with pytest.raises(EditorError, match="No editor found"):
        editor_command(None, deck, 1, env={}, which=no_program)
    assert "vi" in FALLBACKS


@pytest.fixture
def study_store(tmp_path):
    from conftest import UI_NOW as NOW

    from studyllm.clock import FrozenClock
    from studyllm.store import Store
    from studyllm.store.importer import import_file

    deck = tmp_path / "deck.md"
    deck.write_text(DECK, encoding="utf-8")
    store = Store.open(tmp_path / "home", clock=FrozenClock(NOW))
    assert import_file(store, deck).ok
    yield store, deck
    store.close()


class FakeTerminal:
    """``App.suspend`` as on a real terminal: resume only if the block ends normally."""

    def __init__(self) -> None:
        self.suspended = 0
        self.resumed = 0

    @contextmanager
    def suspend(self) -> Iterator[None]:
        self.suspended += 1
        yield  # an exception here skips the resume, as in textual.app.App.suspend
        self.resumed += 1


def script(tmp_path: Path, name: str, body: str, mode: int = 0o755) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    path.chmod(mode)
    return path


CASES = {
    "missing program": (lambda tmp: str(tmp / "no-such-editor"), "isn't installed or isn't on PATH"),
    "unbalanced quote": (lambda tmp: "vim '--not closed", "fix the quoting"),
    "empty": (lambda tmp: "   ", None),  # blank counts as unset: the fallback list is used
    "not a program": (lambda tmp: str(script(tmp, "garbage", "\x7fELF not really\n")), "Couldn't start the editor"),
    "exits 1": (lambda tmp: str(script(tmp, "fails.sh", "#!/bin/sh\nexit 1\n")), "exited with status 1"),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_every_editor_failure_resumes_the_app_and_says_why(study_store, tmp_path, monkeypatch, case):
    store, deck = study_store
    make, expected = CASES[case]
    editor = make(tmp_path)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", editor)
    if case == "empty":
        monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # and no vi, vim, nano or editor either
        expected = "No editor found"
    app = build_app(store)
    terminal = FakeTerminal()
    monkeypatch.setattr(app, "suspend", terminal.suspend)
    # every message shown, in order (the app keeps one toast on screen at a time, so the
    # editor's warning is replaced by the re-import's report that follows it)
    messages: list[str] = []
    notify = app.notify

    def record(message: str, **kwargs) -> None:
        messages.append(message)
        notify(message, **kwargs)

    monkeypatch.setattr(app, "notify", record)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        card_id = screen.card.id
        await pilot.press("e")
        await pilot.pause()
        assert any(expected in m for m in messages), messages
        assert terminal.resumed == terminal.suspended  # never left suspended
        assert app.is_running and screen.card.id == card_id
        await pilot.press("space")  # and the app still works
        await pilot.pause()
        assert screen.revealed
    assert deck.read_text() == DECK


async def test_a_failed_editor_under_a_driver_that_cannot_suspend(study_store, tmp_path):
    store, _deck = study_store
    app = build_app(store, editor=str(tmp_path / "missing"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert any("isn't installed" in n.message for n in app._notifications)
        assert app.is_running


# ------------------------------------------------------------------ the real terminal


@pytest.mark.slow
@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
@pytest.mark.parametrize("editor, message", [
    ("/nonexistent/editor", "isn't installed"),
    ("{garbage}", "Couldn't start the editor"),  # found, started inside the suspended app, fails
    ("vim '", "fix the quoting"),
])
def test_the_real_app_comes_back_after_a_failed_editor(tmp_path, editor, message):
    from studyllm.store import Store
    from studyllm.store.importer import import_file

    deck = tmp_path / "deck.md"
    deck.write_text(DECK, encoding="utf-8")
    home = tmp_path / "home"
    with Store.open(home) as s:
        assert import_file(s, deck).ok
    editor = editor.format(garbage=script(tmp_path, "garbage", "\x7fELF not really\n"))
    session = f"editor-{uuid.uuid4().hex[:8]}"
    env_editor = editor.replace("'", "'\\''")
    cmd = (f"env -u VISUAL TERM=xterm-256color EDITOR='{env_editor}' {sys.executable} -m studyllm --home '{home}'; "
           "echo STUDYLLM-EXITED $?; sleep 30")
    try:
        tmux_cmd("new-session", "-d", "-s", session, "-x", "100", "-y", "30", cmd)
        tmux_wait(session, "Edit me")
        tmux_cmd("send-keys", "-t", session, "Enter")
        tmux_wait(session, "sum of two")
        tmux_cmd("send-keys", "-t", session, "e")
        tmux_wait(session, message)  # the app is back on screen, with the reason in a toast
        tmux_cmd("send-keys", "-t", session, "Space")
        tmux_wait(session, "5 perfect")  # and still answers keys (the grade bar shows)
        tmux_cmd("send-keys", "-t", session, "C-q")
        tmux_wait(session, "STUDYLLM-EXITED 0")
    finally:
        tmux_kill(session)
    assert os.path.exists(home / "studyllm.db")
