"""Pilot tests for home, browse (search as you type, filters), settings taking effect,
import preview, help, the command palette, and a hostile deck."""

from __future__ import annotations

import importlib

import pytest
from conftest import HOSTILE, add_cards_deck, basic_cards, drawn_lines, make_store, settle

from studyllm.ui.app import build_app

SIZE = (80, 24)


async def wait_search(pilot, screen, before: int) -> None:
    for _ in range(100):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if screen.searches > before:
            return
    raise AssertionError("search did not finish")


async def wait_import(pilot, screen) -> None:
    # (the DirectoryTree keeps a loader worker alive, so wait on the screen, not all workers)
    for _ in range(200):
        await pilot.pause(0.02)
        if not screen.busy and screen.last_report is not None:
            return
    raise AssertionError("import did not finish")


async def test_home_today_total_obeys_the_global_new_limit():
    store = make_store()
    add_cards_deck(store, basic_cards()[:5], title="Second deck", key="second")
    store.set_setting("new_per_day", 4)  # each deck alone could show 4 new; together still 4
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#decks")
        assert [str(table.get_row_at(i)[1]) for i in range(2)] == ["4", "4"]
        progress = str(app.screen.query_one("#today-progress").render())
        assert "4 to go (4 new" in progress
        # issue #19 item 6: the columns say what they count and why they add up to more
        legend = str(app.screen.query_one("#home-legend").render())
        assert "Learn:" in legend and "New, Due:" in legend and "Again:" in legend
        assert "the daily limit lets 4 of 8 new through today" in legend
        # nothing is due yet: the next-reviews line doesn't contradict "to go"
        assert str(app.screen.query_one("#today-next").render()).startswith("No reviews due now")


def test_home_next_reviews_line_counts_reviews_due_now():
    from datetime import date

    from studyllm.ui.screens.home import next_reviews_line

    today = date(2026, 12, 2)
    assert next_reviews_line(25, None, today) == "Reviews due now: 25 · none scheduled after today"
    line = next_reviews_line(0, date(2026, 12, 3), today)
    assert line.startswith("No reviews due now · next after today: 2026-12-03")


async def test_home_lists_decks_with_counts_and_enter_studies_that_deck():
    store = make_store()
    add_cards_deck(store, basic_cards()[:2], title="Second deck", key="second")
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#decks")
        assert table.row_count == 2
        row = [str(c) for c in table.get_row_at(1)]
        assert row[0] == "Second deck" and row[1] == "2"  # 2 new
        progress = str(app.screen.query_one("#today-progress").render())
        assert "0 answered" in progress and "8 to go" in progress
        await pilot.press("down", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "StudyScreen"
        assert app.screen.card.deck_title == "Second deck"
        await pilot.press("space", "5", "escape")
        await settle(pilot)
        assert "1 answered" in str(app.screen.query_one("#today-progress").render())
        assert [str(c) for c in table.get_row_at(1)][1] == "1"


async def test_browse_search_as_you_type_including_cjk_and_filters():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        screen = app.screen
        await wait_search(pilot, screen, 0)
        assert len(screen.rows) == len(basic_cards())
        n = screen.searches
        await pilot.press(*"语言")
        await wait_search(pilot, screen, n)
        while screen.searches < n + 2:  # one search per keystroke; wait for the last
            await wait_search(pilot, screen, screen.searches)
        assert [r.front for r in screen.rows] == ["什么是大语言模型？"]
        assert "一种在大量文本上训练的神经网络" in screen.query_one("#detail-back").source
        # clear and filter by state
        screen.query_one("#search").value = ""
        await wait_search(pilot, screen, screen.searches)
        n = screen.searches
        screen.query_one("#state").value = "suspended"
        await wait_search(pilot, screen, n)
        assert screen.rows == []
        store.suspend(screen_first_id := store.next_card().id)
        n = screen.searches
        screen.run_search()
        await wait_search(pilot, screen, n)
        assert [r.id for r in screen.rows] == [screen_first_id]
        # toggle back with "!"
        screen.query_one("#results").focus()
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert not store.card(screen_first_id).suspended


async def test_browse_tag_filter_and_detail_in_words():
    store = make_store()
    card = store.next_card()
    store.answer(card.id, 5)
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        screen = app.screen
        await wait_search(pilot, screen, 0)
        n = screen.searches
        screen.query_one("#tag").value = "memory"
        await wait_search(pilot, screen, n)
        assert [r.front for r in screen.rows] == ["How many bytes per parameter in FP16?"]
        screen.show_detail(card.id)
        state = str(screen.query_one("#detail-state").render())
        assert "Due tomorrow" in state and "first successful recall" in state
        from rich.console import Console

        console = Console(width=80, record=True)
        console.print(screen.query_one("#detail-history").content)
        assert "2026-03-02" in console.export_text()


async def test_settings_take_effect_without_restart():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("comma")
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "SettingsScreen"
        new = screen.query_one("#new_per_day")
        new.value = "2"
        await pilot.pause()
        assert store.setting("new_per_day") == 2
        assert store.counts().new == 2
        screen.query_one("#rollover_hour").value = "99"
        await pilot.pause()
        assert store.setting("rollover_hour") == 4
        assert "must be from 0 to 23" in str(screen.query_one("#rollover_hour-msg").render())
        screen.query_one("#grading_mode").value = "four"
        await pilot.pause()
        assert store.setting("grading_mode") == "four"
        screen.query_one("#theme").value = "textual-light"
        await pilot.pause()
        assert app.theme == "textual-light"
        assert store.setting("theme") == "textual-light"
        await pilot.press("escape")
        await settle(pilot)
        # home now shows the new limit, and study uses 4 buttons
        assert "2 new" in str(app.screen.query_one("#today-progress").render())
        await pilot.press("s", "space", "3")
        await pilot.pause()
        assert store.history(app.screen.session.answers[0][0])[0]["grade"] == 4  # Good


async def test_theme_is_restored_on_start():
    store = make_store()
    store.set_setting("theme", "gruvbox")
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "gruvbox"


async def test_import_preview_changes_nothing_then_import(tmp_path):
    importlib.import_module("studyllm.decks.parser")
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "a.md").write_text("# Alpha\n\nOne? :: 1\n\nTwo? :: 2\n", encoding="utf-8")
    (folder / "b.md").write_text("# Beta\n\nThree? :: 3\n", encoding="utf-8")
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#path").value = str(folder)
        await pilot.press("f5")
        await wait_import(pilot, screen)
        report = str(screen.query_one("#report").render())
        assert "Dry run" in report and "3 new" in report
        assert len(store.decks()) == 1
        screen.last_report = None
        await pilot.press("f6")
        await wait_import(pilot, screen)
        assert "Imported" in str(screen.query_one("#report").render())
        assert {d.title for d in store.decks()} >= {"Alpha", "Beta"}
        bar = screen.query_one("#import-progress")
        assert bar.progress == bar.total == 2



async def test_import_of_a_path_of_a_user_this_machine_lacks_says_so_and_the_app_runs():
    """``~name/decks`` with no user ``name`` here: Path.expanduser raised RuntimeError in the key handler."""
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#path").value = "~studyllm-no-such-user-x9/decks"
        await pilot.press("f5")
        await pilot.pause()
        assert app.is_running and app.screen is screen and not screen.busy
        assert any("there is no user 'studyllm-no-such-user-x9'" in str(n.message) for n in app._notifications)

async def test_help_lists_every_key_and_palette_has_navigation():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        from rich.console import Console

        from studyllm.ui.screens.help import keys_table

        console = Console(width=100, record=True)
        console.print(keys_table())
        text = console.export_text()
        for word in ("blackout", "perfect", "Undo", "Bury", "Suspend", "Edit", "Browse", "Preview", "Study all"):
            assert word in text
        await pilot.press("escape")
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for t in ("Browse cards", "Import decks", "Settings", "Calculators", "Stats", "Study everything due"):
            assert t in titles
        assert "Study deck" in titles  # the screen's own keys too


async def test_calculators_and_stats_screens_open():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert type(app.screen).__name__ == "CalculatorScreen"
        await pilot.press("escape")
        await pilot.pause()
        app.action_go("stats")
        await pilot.pause()
        assert type(app.screen).__name__ == "StatsScreen"
        app.action_go("home")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"


async def test_hostile_card_text_is_shown_literally_and_never_acts():
    store = make_store(cards=HOSTILE, title="[@click=app.quit]Evil[/] \x1b]52;c;eA==\x07", key="evil")
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        front = screen.query_one("#card-pane")
        assert "[@click=app.quit]here[/]" in front.front
        assert "\x1b" not in front.front and "\x07" not in front.front
        # click all over the card text: nothing may quit the app
        for y in (4, 5):
            for x in range(4, 60, 8):
                await pilot.click(offset=(x, y))
        await pilot.press("space")
        await pilot.pause()
        assert app.is_running
        assert "\x9b" not in screen.query_one("#card-pane").back
        assert "[bold]not bold[/bold]" in screen.query_one("#card-pane").back
        svg = app.export_screenshot()
        assert "[@click=app.quit]" in svg.replace("&#160;", " ")
        assert "\x1b" not in svg
        context = screen.query_one("#session").context
        session = screen.query_one("#session")
        drawn = "".join(drawn_lines(session))
        assert "[@click=app.quit]Evil[/]" in drawn
        assert "[@click=app.quit]Evil[/]" in context
        await pilot.press("escape")
        await pilot.pause()
        for y in (3, 4, 5):
            await pilot.click(offset=(4, y))
        assert app.is_running
        # the deck title in browse's deck filter: opened and clicked, still inert
        await pilot.press("b")
        await pilot.pause()
        select = app.screen.query_one("#deck")
        select.focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.click(offset=(30, 5))
        await pilot.pause()
        assert app.is_running


async def test_every_builtin_theme_renders_home_and_study():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "space")
        await pilot.pause()
        themes = sorted(app.available_themes)
        assert len(themes) > 5 and "textual-light" in themes
        for theme in themes:
            app.theme = theme
            await pilot.pause()
            keys = app.screen.query_one("#keys")
            drawn = "".join(drawn_lines(keys))
            assert "Show answer" not in drawn and "Undo" in drawn  # still revealed
            app.screen.query_one("#card").refresh()
        assert store.setting("theme") == themes[-1]


async def test_small_terminal_and_resize_keep_study_usable():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        for size in ((60, 18), (120, 40), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            screen = app.screen
            card = screen.query_one("#card")
            # as wide as reads well (at most 100 columns), never cut off
            assert card.region.height >= 4 and card.region.width >= min(size[0] - 4, 100)
            keys = screen.query_one("#keys")
            assert keys.region.bottom <= size[1]
            grades = screen.query_one("#grades")  # the grade bar under the card, above the keys
            assert card.region.bottom <= grades.region.y and grades.region.bottom <= keys.region.y


async def test_settings_deck_folder_is_scanned_on_enter(tmp_path):
    importlib.import_module("studyllm.decks.parser")
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "own.md").write_text("# My own deck\n\nWhat is mine? :: This.\n", encoding="utf-8")
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("comma")
        await pilot.pause()
        screen = app.screen
        field = screen.query_one("#deck_folders")
        field.value = str(folder)
        field.focus()
        await pilot.press("enter")
        for _ in range(300):
            await pilot.pause(0.02)
            if "Scanned" in str(screen.query_one("#deck_folders-msg").render()):
                break
        assert store.setting("deck_folders") == [str(folder)]
        assert "My own deck" in {d.title for d in store.decks()}


async def test_file_names_in_the_import_tree_are_not_markup(tmp_path, monkeypatch):
    (tmp_path / "[@click=app.quit]evil.md").write_text("# x\n", encoding="utf-8")
    (tmp_path / "[red]plain.md").write_text("# y\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await pilot.pause(0.3)
        tree = app.screen.query_one("#tree")
        labels = [str(node.label) for node in tree.root.children]
        assert "[@click=app.quit]evil.md" in labels
        assert "[red]plain.md" in labels
        for y in range(2, 5):
            await pilot.click(tree, offset=(8, y))
        await pilot.pause()
        assert app.is_running


async def test_home_key_bar_keys_take_clicks():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        keys = app.screen.query_one("#keys")
        lines = drawn_lines(keys)
        row = next(i for i, line in enumerate(lines) if "Browse" in line)
        await pilot.click("#keys", offset=(lines[row].index("Browse") + 1, row))
        await pilot.pause()
        assert type(app.screen).__name__ == "BrowseScreen"


def test_one_screen_registry_feeds_make_screen_help_and_the_palette():
    from studyllm.ui.registry import SCREENS, screen_class
    from studyllm.ui.screens.help import _screens

    titles = [title for title, _ in _screens()]
    for name in SCREENS:
        cls = screen_class(name)
        assert cls.__name__.endswith("Screen")
        if name != "help":
            assert any(t == SCREENS[name].title or (name == "study" and t == "Study") for t in titles)
    with pytest.raises(ValueError, match="unknown screen"):
        screen_class("nope")


def test_a_broken_screen_module_is_an_error_not_a_placeholder(monkeypatch):
    import dataclasses

    from studyllm.ui import registry

    broken = dataclasses.replace(registry.SCREENS["stats"], module="studyllm.ui.screens.does_not_exist")
    monkeypatch.setitem(registry.SCREENS, "stats", broken)
    with pytest.raises(ImportError):
        registry.screen_class("stats")


async def test_palette_lists_each_screen_once():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        from studyllm.ui.registry import SCREENS

        for entry in SCREENS.values():
            assert titles.count(entry.title) == 1
