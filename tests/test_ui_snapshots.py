"""Snapshot tests (pytest-textual-snapshot), one per screen, at 80×24 with a frozen clock,
a frozen timer and a seeded database. Update with: pytest --snapshot-update tests/test_ui_snapshots.py
"""

from __future__ import annotations

from conftest import basic_cards, make_store, open_browse, settle

from studyllm.ui.app import build_app

SIZE = (80, 24)


def app_for(**kwargs):
    store = make_store(**kwargs)
    store.set_setting("theme", "textual-dark")
    return build_app(store, timer=lambda: 100.0)


async def open_study(pilot) -> None:
    """Press s and wait for the "left" count, which comes from a worker."""
    await pilot.press("s")
    for _ in range(100):
        await pilot.pause(0.01)
        if pilot.app.screen.remaining is not None:
            break


def test_home(snap_compare):
    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(app_for(), run_before=run_before, terminal_size=SIZE)


def test_study_question(snap_compare):
    async def run_before(pilot):
        await open_study(pilot)

    assert snap_compare(app_for(), run_before=run_before, terminal_size=SIZE)


def test_study_mcq_revealed(snap_compare):
    cards = [c for c in basic_cards() if c.kind == "mcq"]

    async def run_before(pilot):
        await open_study(pilot)
        await pilot.press("1", "space")

    assert snap_compare(app_for(cards=cards), run_before=run_before, terminal_size=SIZE)


def test_study_revealed_light_theme(snap_compare):
    """The study screen's own line-drawn widgets (card, session bar, grade bar, key bar)
    take the theme's colours, after a theme change too."""

    async def run_before(pilot):
        await open_study(pilot)
        await pilot.press("space", "5", "space")
        pilot.app.theme = "textual-light"
        await pilot.pause()

    assert snap_compare(app_for(), run_before=run_before, terminal_size=SIZE)


def test_study_summary(snap_compare):
    cards = basic_cards()[:2]
    assert snap_compare(app_for(cards=cards), press=["s", "space", "5", "space", "4"], terminal_size=SIZE)


def test_browse(snap_compare):
    assert snap_compare(app_for(), run_before=open_browse, terminal_size=SIZE)


def test_import(snap_compare, tmp_path, monkeypatch):
    (tmp_path / "decks").mkdir()
    (tmp_path / "decks" / "week1.md").write_text("# W\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("# N\n", encoding="utf-8")
    (tmp_path / "ignored.txt").write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot):
        await pilot.press("i")
        await pilot.pause(0.2)

    assert snap_compare(app_for(), run_before=run_before, terminal_size=SIZE)


def test_settings_light_theme(snap_compare):
    async def run_before(pilot):
        pilot.app.theme = "textual-light"
        await pilot.press("comma")
        await pilot.pause()

    assert snap_compare(app_for(), run_before=run_before, terminal_size=SIZE)


def test_help(snap_compare):
    assert snap_compare(app_for(), press=["question_mark"], terminal_size=SIZE)


def test_calculators(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app_for(), run_before=run_before, terminal_size=(100, 32))
