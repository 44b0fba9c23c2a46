"""Stored values that must not stop the app (issue 17, item 11, first half): a settings row of
deeply nested JSON falls back to the default with a warning, and the app and every command
still start. A deck's options row gets the same treatment (it feeds the queue at start-up)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import warnings

import pytest
from conftest import add_deck

from studyllm.store import Store
from studyllm.store.settings import SPECS

DEEP = "[" * 100_000 + "]" * 100_000  # json.loads: RecursionError
MEDIUM = "[" * 900 + "1" + "]" * 900  # loads, but its repr in a message is long


def store_row(home, key: str, raw: str) -> None:
    conn = sqlite3.connect(home / "studyllm.db")
    conn.execute("INSERT INTO setting(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (key, raw))
    conn.commit()
    conn.close()


@pytest.mark.parametrize("raw", [DEEP, MEDIUM, '{"a":' * 50_000 + "1" + "}" * 50_000])
@pytest.mark.parametrize("key", sorted(SPECS))
def test_a_deeply_nested_settings_row_falls_back_to_the_default(tmp_path, clock, key, raw):
    home = tmp_path / "home"
    Store.open(home, clock=clock).close()
    store_row(home, key, raw)
    with Store.open(home, clock=clock) as store, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert store.setting(key) == SPECS[key].default
        assert store.today() is not None and store.counts() is not None
    (warning,) = [w for w in store.warnings if key in w]
    assert "using the default" in warning and len(warning) < 400
    assert any(key in str(w.message) for w in caught)


@pytest.mark.slow
def test_every_command_and_the_app_start_with_a_nested_settings_row(tmp_path, clock):
    home = tmp_path / "home"
    with Store.open(home, clock=clock) as s:
        add_deck(s, "d", 5)
    for key in ("rollover_hour", "theme", "deck_folders", "new_per_day"):
        store_row(home, key, DEEP)
    commands = (["due"], ["stats"], ["settings"], ["settings", "theme"], ["export", "-o", "-"], ["backup", "--create"])
    for args in commands:
        proc = subprocess.run([sys.executable, "-m", "studyllm", "--home", str(home), *args],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and "RecursionError" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "studyllm", "--home", str(home), "settings"],
                          capture_output=True, text=True, timeout=120)
    assert "rollover_hour = 4" in proc.stdout and "nested too deeply" in proc.stderr


async def test_the_tui_starts_with_nested_settings_and_deck_options(tmp_path, clock):
    from studyllm.ui.app import build_app

    home = tmp_path / "home"
    with Store.open(home, clock=clock) as s:
        add_deck(s, "d", 5)
    store_row(home, "theme", DEEP)
    store_row(home, "new_per_day", DEEP)
    conn = sqlite3.connect(home / "studyllm.db")
    conn.execute("UPDATE deck SET options = ?", (DEEP,))
    conn.commit()
    conn.close()
    store = Store.open(home, clock=clock)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = build_app(store)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.press("s")
            await pilot.pause()
            assert app.screen.card is not None  # the default limits apply: the deck's new cards are there
    store.close()


NO_SUCH_USER = "~studyllm-no-such-user-x9"  # '~name' of a user this machine does not have


def test_a_deck_folder_of_a_user_this_machine_lacks_does_not_stop_the_commands(tmp_path, capsys):
    """``deck_folders = ["~name/decks"]`` (typed, or synced from a machine that has that user) made
    ``Path.expanduser`` raise RuntimeError in every command's re-scan and at the app's start; the
    folder is now a missing folder."""
    from studyllm.cli import main

    home = tmp_path / "home"
    assert main(["--home", str(home), "settings", "deck_folders", f"{NO_SUCH_USER}/decks"]) == 0
    for args in (["due"], ["stats"], ["export", "-o", str(tmp_path / "e.json")], ["import", str(tmp_path / "x.md")]):
        capsys.readouterr()
        assert main(["--home", str(home), *args]) in (0, 1), args
        assert "RuntimeError" not in capsys.readouterr().err


@pytest.mark.parametrize("args", [
    ["--home", f"{NO_SUCH_USER}/h", "due"],
    ["sync", "--folder", f"{NO_SUCH_USER}/sync"],
    ["sources", "forget", f"{NO_SUCH_USER}/decks"],
    ["import", "deck.apkg", "--into", f"{NO_SUCH_USER}/decks"],
], ids=["--home", "sync --folder", "sources forget", "import --into"])
def test_a_path_of_a_user_this_machine_lacks_is_a_one_line_error(tmp_path, args):
    env_home = ["--home", str(tmp_path / "home")] if args[0] != "--home" else []
    proc = subprocess.run([sys.executable, "-m", "studyllm", *env_home, *args], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"there is no user '{NO_SUCH_USER[1:]}' on this machine" in proc.stderr
