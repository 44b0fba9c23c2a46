"""Start-up: home shows its numbers in its first frame and reads them once; the work that
can wait (the daily backup, loading the study screen) runs once home is up."""

from __future__ import annotations

import pytest
from conftest import make_store, settle

from studyllm.store.backup import list_backups
from studyllm.ui.app import build_app

SIZE = (80, 24)


@pytest.fixture
def home_reads(monkeypatch) -> list[int]:
    """Every time a home screen reads its numbers (``HomeScreen._fetch``), one entry."""
    from studyllm.ui.screens.home import HomeScreen

    reads: list[int] = []
    fetch = HomeScreen._fetch

    def counted(self):
        reads.append(1)
        return fetch(self)

    monkeypatch.setattr(HomeScreen, "_fetch", counted)
    return reads


async def test_home_has_its_numbers_when_the_app_is_ready(ui_store, home_reads):
    app = build_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        # no waiting: the numbers are read before home's first frame, not by a worker
        home = app.screen
        assert type(home).__name__ == "HomeScreen"
        assert len(home_reads) == 1
        assert "0 answered" in str(home.query_one("#today-progress").render())
        assert home.query_one("#decks").row_count == 1
        await settle(pilot)
        assert len(home_reads) == 1  # the resume that follows the mount doesn't read them again


async def test_home_reloads_on_r_and_when_back_from_another_screen(ui_store, home_reads):
    app = build_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        home = app.screen
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert len(home_reads) == 2
        await pilot.press("s", "space", "5", "escape")
        await settle(pilot)
        assert app.screen is home
        assert len(home_reads) == 3
        assert "1 answered" in str(home.query_one("#today-progress").render())


async def test_home_started_under_another_screen_reloads_when_shown(ui_store, home_reads):
    app = build_app(ui_store, start="study")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert type(app.screen).__name__ == "StudyScreen"
        home = app.screen_stack[1]
        before = len(home_reads)
        await pilot.press("space", "5", "escape")
        await settle(pilot)
        assert app.screen is home and len(home_reads) == before + 1
        assert "1 answered" in str(home.query_one("#today-progress").render())


async def test_daily_backup_is_made_once_home_is_up(tmp_path):
    store = make_store(tmp_path / "home")
    app = build_app(store, daily_backup=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # the backup worker starts after home's first frames
        assert len(list_backups(tmp_path / "home")) == 1


async def test_no_garbage_collection_while_home_is_built_and_back_on_once_it_is_up(monkeypatch, ui_store):
    import gc

    from studyllm.ui.screens.home import HomeScreen

    seen = []
    mount = HomeScreen.on_mount

    def on_mount(self):
        seen.append(gc.isenabled())
        mount(self)

    monkeypatch.setattr(HomeScreen, "on_mount", on_mount)
    assert gc.isenabled()
    app = build_app(ui_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # turned back on after home's first frames
        assert gc.isenabled()
    assert seen == [False]
    assert gc.isenabled()


async def test_garbage_collection_left_off_if_it_was_off(ui_store):
    import gc

    app = build_app(ui_store)
    gc.disable()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("theme", ["studyllm-light", "studyllm-dark", "textual-light", "gruvbox"])
async def test_the_saved_theme_looks_as_if_set_the_usual_way_and_costs_no_re_parse(tmp_path, theme, monkeypatch):
    """The saved theme is set before the first parse (no re-parse queued, ``StudyApp._start_with_theme``):
    the app's classes, CSS variables and every widget's style are what setting ``app.theme``
    (Textual's own watcher, with its re-parse) gives."""
    from textual.css.stylesheet import Stylesheet

    reparses: list[int] = []
    reparse = Stylesheet.reparse

    def counted(self):
        reparses.append(1)
        return reparse(self)

    monkeypatch.setattr(Stylesheet, "reparse", counted)

    async def looks(usual: bool) -> tuple:
        store = make_store(tmp_path / ("usual" if usual else "saved"))
        store.set_setting("theme", "textual-dark" if usual else theme)  # textual-dark: Textual's default
        app = build_app(store)
        if usual:
            app.theme = theme  # Textual's watcher: classes, filter, and a re-parse queued
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            seen = (app.theme, sorted(app.classes), dict(app.stylesheet._variables),
                    [(w.id, type(w).__name__, w.rich_style, w.background_colors) for w in app.screen.walk_children()],
                    [type(f).__name__ for f in app._filters])
        store.close()
        return seen

    saved = await looks(False)
    assert not reparses
    assert saved == await looks(True)
    assert reparses  # (the usual way does re-parse: the check above has teeth)
