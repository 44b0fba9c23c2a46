"""Issue #19 items 9 and 10: Help grouped by screen and purpose, one line per meaning, built from
the bindings; the command palette has one entry per action, described by what it does."""

from __future__ import annotations

from conftest import add_cards_deck, basic_cards, make_store, settle
from rich.console import Console
from textual.binding import Binding

from studyllm.ui.app import build_app
from studyllm.ui.keys import action_name, key_lines
from studyllm.ui.screens.help import _screens, keys_table


def table_text(mode: str = "sm2", width: int = 80) -> str:
    console = Console(width=width, record=True)
    console.print(keys_table(mode))
    return console.export_text()


def test_runs_and_repeats_are_one_line_each():
    lines = key_lines([
        Binding("space", "reveal", "Show answer"), Binding("enter", "reveal", "Show answer", show=False),
        Binding("1", "choose(1)", "Choose", key_display="1-9"),
        *(Binding(str(n), f"choose({n})", f"Choose {n}", show=False) for n in range(2, 10)),
        *(Binding(str(g), f"grade({g})", w) for g, w in enumerate(("a", "b", "c"))),
        Binding("up", "order_cursor(-1)", "Up"), Binding("k", "order_cursor(-1)", "Up"),
        Binding("up", "scroll_card(-1)", "Scroll up"),
    ])
    rows = [(line.key_text, line.text) for line in lines]
    assert ("Space, Enter", "Show answer") in rows
    assert ("1–9", "Choose") in rows
    assert ("0–2", "0 a · 1 b · 2 c") in rows
    assert ("↑, k", "Up") in rows and ("↑", "Scroll up") in rows
    assert len(rows) == 5


def test_help_covers_every_binding_of_every_screen_once():
    for title, bindings in _screens():
        lines = key_lines(bindings)
        for item in bindings:
            b = item if isinstance(item, Binding) else Binding(*item)
            hits = [line for line in lines if any(k in line.keys for k in b.key.split(","))
                    and line.name == action_name(b.action).rpartition(".")[2]]
            assert hits, f"{title}: {b.key} {b.action} is not in Help"
        rows = [(line.key_text, line.text) for line in lines]
        assert len(rows) == len(set(rows)), f"{title}: a line is repeated"
        purposes = [line.purpose for line in lines]
        # grouped: a purpose's lines are together
        assert purposes == sorted(purposes, key=purposes.index)


def test_help_is_not_a_raw_dump_and_shows_one_grade_map():
    sm2 = table_text("sm2")
    assert "Choose 2" not in sm2 and "Choose 9" not in sm2
    assert "1–9" in sm2 and "0 blackout · 1 wrong, familiar" in sm2
    assert "Again" not in sm2  # the 4-button map only in 4-button mode
    four = table_text("four")
    assert "1 Again · 2 Hard · 3 Good · 4 Easy" in four and "blackout" not in four
    for purpose in ("Answer", "Grade", "This card", "Go to", "Leave", "Find", "View"):
        assert f" {purpose} " in sm2
    assert all(len(line) <= 80 for line in sm2.splitlines())


async def test_help_screen_follows_the_grading_mode():
    store = make_store()
    store.set_setting("grading_mode", "four")
    app = build_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        intro = str(app.screen.query_one("#help-intro").render())
        assert "Four buttons" in intro


async def test_palette_one_entry_per_action_described_by_what_it_does():
    store = make_store()
    add_cards_deck(store, basic_cards()[:2], title="Second", key="second")
    app = build_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(2):
            commands = list(app.get_system_commands(app.screen))
            titles = [c.title for c in commands]
            assert len(titles) == len(set(titles)), titles
            assert "Keys" not in titles  # Help lists the keys; no second keys entry
            for c in commands:
                assert "screen key" not in c.help and "(" not in c.title, c
            assert "Study all" not in titles and "Study everything due" in titles  # the same action once
            assert "Browse" not in titles and "Browse cards" in titles
            await pilot.press("s")
            await pilot.pause()
            await pilot.pause()
        assert type(app.screen).__name__ == "StudyScreen"
        helps = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert helps["Bury"].startswith("Hide this card until tomorrow")
        assert helps["Undo"].startswith("Take back the last answer")
        assert not any(t.startswith("Choose") or t in ("blackout", "perfect") for t in helps)


async def test_help_says_what_the_footer_does_with_keys_that_dont_work():
    """Help said "Keys shown dim in a footer are not available", but every screen hides such keys
    (check_action returns False, never None): at the end of a session Bury and Suspend are gone."""
    from studyllm.ui.screens.help import INTRO

    assert "dim" not in INTRO and "only the keys that work" in INTRO
    store = make_store(cards=basic_cards()[:1])
    app = build_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("space", "5")
        await pilot.pause()
        screen = app.screen
        assert screen.finished
        for action in ("bury", "suspend", "edit"):
            assert screen.check_action(action, ()) is False, action  # hidden, not dimmed (None)


async def test_f1_opens_help_from_every_screen_with_or_without_a_field_focused():
    """F1 worked only while a text field had the focus: on the study screen, home or Stats it did
    nothing, though it is the help key of most programs."""
    from studyllm.ui.screens.help import HelpScreen

    store = make_store()
    app = build_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for go in (None, "study", "browse", "stats", "settings", "calculators"):
            if go is not None:
                app.action_go(go)
                await settle(pilot)
            await pilot.press("f1")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen), (go, app.screen)
            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, HelpScreen)
        app.action_go("browse")  # the search field has the focus: the footer offers F1, once
        await settle(pilot)
        from textual.widgets._footer import FooterKey

        keys = [(k.key_display, k.description) for k in app.screen.query(FooterKey)]
        helps = [key for key, description in keys if description == "Help"]
        assert len(helps) == 1 and "f1" in helps[0].lower(), keys
