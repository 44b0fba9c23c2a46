"""Issue #19 item 11: toasts never cover the grade bar or the card, and repeats collapse."""

from __future__ import annotations

import pytest
from conftest import add_cards_deck, basic_cards, make_store, settle

from studyllm.ui.app import build_app


def toasts(screen) -> list:
    return list(screen.query("ToastRack Toast"))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_repeated_toasts_collapse_and_cover_neither_card_nor_grade_bar(size):
    store = make_store()
    add_cards_deck(store, basic_cards(), title="More", key="more")
    app = build_app(store)
    async with app.run_test(size=size, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "StudyScreen"
        for _ in range(5):
            await pilot.press("b")
            await pilot.pause(0.05)
        await pilot.pause()
        shown = toasts(screen)
        assert len(shown) == 1, shown  # five buries, one toast
        assert str(shown[0].render()).endswith("×5")
        toast = shown[0].region
        assert toast.y == 0 and toast.height == 1  # on the header row
        await pilot.press("space")  # reveal: the grade bar has its keys
        await pilot.pause()
        for selector in ("#card", "#grades", "#keys", "#session"):
            for widget in screen.query(selector):
                if widget.display and widget.region.area:
                    assert not toast.overlaps(widget.region), f"the toast covers {selector}"


async def test_a_different_message_replaces_the_toast():
    app = build_app(make_store())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.notify("first")
        app.notify("first")
        await pilot.pause()
        assert [str(t.render()) for t in toasts(app.screen)] == ["first ×2"]
        app.notify("second")
        await pilot.pause()
        assert [str(t.render()) for t in toasts(app.screen)] == ["second"]
        app.notify("first")  # not a repeat of the toast on screen: counted afresh
        await pilot.pause()
        assert [str(t.render()) for t in toasts(app.screen)] == ["first"]


async def test_an_error_stays_when_a_note_follows_it():
    app = build_app(make_store())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.notify("The editor exited with status 1", severity="error")
        await pilot.pause()
        app.notify("deck.md: unchanged file")
        await pilot.pause()
        assert [str(t.render()) for t in toasts(app.screen)] == ["The editor exited with status 1",
                                                                 "deck.md: unchanged file"]
        app.notify("another note")  # replaces the note, not the error
        await pilot.pause()
        assert [str(t.render()) for t in toasts(app.screen)] == ["The editor exited with status 1", "another note"]
        app.notify("a second error", severity="error")  # replaces both
        await pilot.pause()
        assert [str(t.render()) for t in toasts(app.screen)] == ["a second error"]
