"""Start-up: home shows its numbers in its first frame and reads them once; the work that
can wait (the daily backup, loading the study screen) runs once home is up."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from ui_fixtures import make_store, wait_home

from studyllm.store.backup import list_backups
from studyllm.ui.app import build_app

SIZE = (80, 24)


async def test_home_has_its_numbers_when_the_app_is_ready():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        # no waiting: the numbers are read before home's first frame, not by a worker
        home = app.screen
        assert type(home).__name__ == "HomeScreen"
        assert home.loads == 1
        assert "0 answered" in str(home.query_one("#today-progress").render())
        assert home.query_one("#decks").row_count == 1
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert home.loads == 1  # the resume that follows the mount doesn't read them again


async def test_home_reloads_on_r_and_when_back_from_another_screen():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        home = app.screen
        await pilot.press("r")
        await wait_home(pilot, 1)
        await pilot.press("s", "space", "5", "escape")
        await wait_home(pilot, 2)
        assert app.screen is home
        assert "1 answered" in str(home.query_one("#today-progress").render())


async def test_home_started_under_another_screen_reloads_when_shown(tmp_path):
    store = make_store()
    app = build_app(store, start="study")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "StudyScreen"
        home = app.screen_stack[1]
        loads = home.loads
        await pilot.press("space", "5", "escape")
        await wait_home(pilot, loads)
        assert "1 answered" in str(home.query_one("#today-progress").render())


async def test_daily_backup_is_made_once_home_is_up(tmp_path):
    store = make_store(tmp_path / "home")
    app = build_app(store, daily_backup=True)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(200):
            await pilot.pause(0.02)
            await app.workers.wait_for_complete()
            if list_backups(tmp_path / "home"):
                break
        assert len(list_backups(tmp_path / "home")) == 1


async def test_no_garbage_collection_while_home_is_built_and_back_on_once_it_is_up(monkeypatch):
    import gc

    from studyllm.ui.screens.home import HomeScreen

    seen = []
    mount = HomeScreen.on_mount

    def on_mount(self):
        seen.append(gc.isenabled())
        mount(self)

    monkeypatch.setattr(HomeScreen, "on_mount", on_mount)
    assert gc.isenabled()
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.01)
            if gc.isenabled():
                break
        assert gc.isenabled()
    assert seen == [False]
    assert gc.isenabled()


async def test_garbage_collection_left_off_if_it_was_off():
    import gc

    store = make_store()
    app = build_app(store)
    gc.disable()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.1)
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
