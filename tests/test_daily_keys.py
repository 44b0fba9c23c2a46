"""Issue #19 item 8: every key shown works from where it is shown."""

from __future__ import annotations

import pytest
from conftest import make_store, settle

from studyllm.ui.app import build_app
from studyllm.ui.registry import SCREENS
from studyllm.ui.screens.base import is_typed_key, typing_in_field

SIZE = (80, 24)


def shown_keys(screen) -> dict[str, str]:
    """What the footer shows: key -> description, for enabled bindings with show=True."""
    return {key: a.binding.description for key, a in screen.active_bindings.items()
            if a.enabled and a.binding.show and a.binding.description}


def test_typed_keys():
    assert is_typed_key("b") and is_typed_key("slash") and is_typed_key("question_mark")
    assert not is_typed_key("ctrl+t") and not is_typed_key("escape") and not is_typed_key("f5")


@pytest.mark.parametrize("name", [n for n in SCREENS if n not in ("home", "study", "help")])
async def test_no_shown_key_is_typed_into_a_focused_field(name):
    """Focus every focusable widget of the screen in turn: while a text field has the focus,
    the footer shows no key that the field would type instead of acting on it."""
    app = build_app(make_store())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_go(name)
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        fields = 0
        for widget in list(screen.focus_chain):
            widget.focus()
            await pilot.pause()
            if not typing_in_field(screen):
                continue
            fields += 1
            typed = [k for k in shown_keys(screen) if is_typed_key(k)]
            assert not typed, f"{name}: {widget!r} has the focus and would type {typed}"
            assert "f1" in shown_keys(screen)  # Help is still offered, by a key that works there
        if name in ("browse", "settings", "calculators", "import"):
            assert fields, f"{name} has text fields"


async def test_ctrl_t_switches_tabs_from_a_focused_field():
    from textual.widgets import TabbedContent

    app = build_app(make_store())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        tabs = screen.query_one(TabbedContent)
        for field in ("#mem-params", "#mem-precision", "#mem-gpus"):
            tabs.active = "memory"
            await pilot.pause()
            screen.query_one(field).focus()
            await pilot.pause()
            assert "ctrl+t" in shown_keys(screen)
            await pilot.press("ctrl+t")
            await pilot.pause()
            await pilot.pause()
            assert tabs.active == "scaling", field
            assert screen.focused is not None and "sc-" in (screen.focused.id or "")
        screen.query_one("#sc-params").focus()
        await pilot.pause()
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.pause()
        assert tabs.active == "memory"


async def test_browse_slash_focuses_the_search_and_types_nothing():
    from textual.widgets import Input

    app = build_app(make_store())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        search = screen.query_one("#search", Input)
        assert screen.focused is search
        assert "slash" not in shown_keys(screen)  # not offered where it would type a "/"
        await pilot.press("s", "f", "t")
        screen.query_one("#results").focus()
        await pilot.pause()
        assert shown_keys(screen).get("slash") == "Search"  # offered from the results...
        await pilot.press("slash")
        await pilot.pause()
        assert screen.focused is search  # ...and it does what it says
        assert search.value == "sft"  # no "/" typed


async def test_f1_opens_help_from_a_text_field_and_question_mark_types():
    from textual.widgets import Input

    app = build_app(make_store())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "question_mark" in shown_keys(app.screen) and "f1" not in shown_keys(app.screen)
        await pilot.press("b")
        await pilot.pause()
        search = app.screen.query_one("#search", Input)
        await pilot.press("question_mark")
        await pilot.pause()
        assert search.value == "?" and type(app.screen).__name__ == "BrowseScreen"
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"


async def test_study_answer_box_shows_no_key_it_would_type():
    """A calc card's answer box has the focus: u, b, !, e, c type there, so the key bar leaves
    them out (they come back once the box is left), and typing them buries nothing."""
    from conftest import calc_card

    store = make_store(cards=[calc_card()])
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert screen.card is not None and screen.card.kind == "calc"
        assert typing_in_field(screen)
        shown = shown_keys(screen)
        assert not [k for k in shown if is_typed_key(k)], shown
        await pilot.press("b")
        await pilot.pause()
        assert screen.card is not None and not store.is_buried(store.card(screen.card.id))
        assert screen.query_one("#calc-answer").value == "b"


def test_no_screen_binds_a_key_the_app_takes_first():
    """Import's ctrl+l ("Path", listed in Help) never ran: the app's priority ctrl+l switches the
    theme. No screen may bind a key that an app-wide priority binding takes."""
    from studyllm.ui.registry import GLOBAL_BINDINGS, SCREENS, screen_class

    taken = {b.key for b in GLOBAL_BINDINGS if getattr(b, "priority", False)}
    for name in SCREENS:
        for b in screen_class(name).BINDINGS:
            keys = set(b.key.split(",")) if hasattr(b, "key") else set()
            assert not keys & taken, (name, b)


async def test_slash_on_import_puts_the_cursor_in_the_path_box(tmp_path, monkeypatch):
    from textual.widgets import DirectoryTree, Input

    monkeypatch.chdir(tmp_path)  # the tree shows the working folder: a small one
    app = build_app(make_store())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        for _ in range(5):
            await pilot.pause()
        screen = app.screen
        screen.query_one(DirectoryTree).focus()
        await pilot.pause()
        path = screen.query_one("#path", Input)
        before = path.value
        await pilot.press("slash")
        await pilot.pause()
        assert screen.focused is path and path.value == before  # moved there, typed nothing
        await pilot.press("slash")  # in the box, "/" is part of a path
        await pilot.pause()
        assert path.value == before + "/"
