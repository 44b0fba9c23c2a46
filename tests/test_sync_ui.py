"""Sync from the TUI (docs/sync.md, "When it runs"): at app start, on home's y key and the
command palette entry, in a worker with progress on home; errors are notifications, never a
traceback; home shows the last sync."""

from __future__ import annotations

import shutil

from conftest import make_store

from studyllm.store import sync as S
from studyllm.ui.app import build_app

SIZE = (80, 24)


async def settle(pilot, app) -> None:
    for _ in range(300):
        await pilot.pause(0.01)
        await app.workers.wait_for_complete()
        if not app.syncing:
            return
    raise AssertionError("the sync did not end")


async def wait_home(pilot, shown: int = 0) -> None:
    """Wait until home is the screen and has shown its numbers more than ``shown`` times."""
    for _ in range(300):
        await pilot.pause(0.01)
        screen = pilot.app.screen
        if type(screen).__name__ == "HomeScreen" and screen._shown > shown:
            return
    raise AssertionError("home screen did not load")


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def count_log(store) -> int:
    with store.database.connect() as conn:
        return conn.execute("SELECT count(*) FROM review_log").fetchone()[0]


async def test_sync_at_start_on_y_and_after_a_session(tmp_path):
    folder = tmp_path / "shared"
    other = make_store(tmp_path / "other")
    S.enable(other, folder)
    card = other.next_card()
    assert card is not None
    other.answer(card.id, 4, 800)
    S.sync(other)

    store = make_store(tmp_path / "home")
    S.enable(store, folder)
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_home(pilot)
        await settle(pilot, app)  # the sync at start brought the other machine's answer
        assert count_log(store) == 1
        home = app.screen
        await wait_home(pilot, home._shown - 1)
        assert "Last sync: 2026-03-02" in str(home.query_one("#home-sync").render())
        assert any("1 answer(s) in" in n for n in notes(app))
        # a session: study one card, back home -> its answer is sent without a key
        before = home._shown
        await pilot.press("s", "space", "5", "escape")
        await wait_home(pilot, before)
        await settle(pilot, app)
        assert S.status(store).pending_out == 0
        S.sync(other)
        assert count_log(other) == 2
        # the y key on home, with nothing new: says so
        await pilot.press("y")
        await settle(pilot, app)
        assert any(n.startswith("Synced: 0 event(s) out, 0 answer(s) in") for n in notes(app))


async def test_sync_errors_are_notifications_and_sync_off_says_how(tmp_path):
    store = make_store(tmp_path / "home")
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_home(pilot)
        await pilot.press("y")
        await pilot.pause()
        assert any("Sync is off" in n and "--folder" in n for n in notes(app))
        assert str(app.screen.query_one("#home-sync").render()) == ""
    folder = tmp_path / "shared"
    S.enable(store, folder)
    shutil.rmtree(folder)  # the sync folder's drive is not mounted
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_home(pilot)
        await settle(pilot, app)
        assert any("Sync failed" in n and "missing" in n for n in notes(app))
        assert not any("Traceback" in n for n in notes(app))
        assert app.sync_error


async def test_sync_is_in_the_command_palette(tmp_path):
    store = make_store(tmp_path / "home")
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_home(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Sync now" in titles


def test_the_first_screens_do_not_load_the_sync_engine_while_sync_is_off(tmp_path):
    """Home's sync line and the sync-at-start check read three meta rows through
    ``sync_events``; ``studyllm.store.sync`` brings the importer and the parser (about 90 ms of
    the TUI start), so it is loaded only when there is a sync to run."""
    import subprocess
    import sys

    code = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from studyllm.store import Store\n"
        "from studyllm.ui.app import build_app\n"
        "async def main():\n"
        f"    app = build_app(Store.open(Path({str(tmp_path / 'home')!r})))\n"
        "    async with app.run_test(size=(80, 24)) as pilot:\n"
        "        for _ in range(5):\n"
        "            await pilot.pause()\n"
        "        await app.workers.wait_for_complete()\n"
        "        print(type(app.screen).__name__)\n"
        "asyncio.run(main())\n"
        "print('studyllm.store.sync' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["HomeScreen", "False"], out.stdout + out.stderr
