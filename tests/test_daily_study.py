"""The study screen as a learner meets it over several days (session 28's review of #19/#20):
what each card kind shows once revealed, and what the screen says around the card."""

from __future__ import annotations

import pytest
from conftest import basic_cards, drawn_lines, make_store
from test_ui_study import multi_card, shown_key, start_study

from studyllm.ui.app import build_app


def _drawn(pane) -> list[str]:
    return [line.strip(" │") for line in drawn_lines(pane)]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_revealed_choice_card_ends_on_its_verdict_not_on_an_empty_rule(size):
    """A multiple-choice card has no back of its own (the marked choices and the verdict are the
    answer): the ╌ rule stood over an empty line at the foot of the card."""
    store = make_store(cards=[multi_card()])
    app = build_app(store)
    async with app.run_test(size=size) as pilot:
        screen = await start_study(pilot)
        await pilot.press(shown_key(screen, "git rebase"), "space")
        await pilot.pause()
        lines = [line for line in _drawn(screen.query_one("#card-pane")) if line.strip()]
        assert not any("╌╌╌" in line for line in lines), lines
        assert "right choice missed" in lines[-1], lines


async def test_a_revealed_basic_card_keeps_the_rule_between_front_and_back():
    store = make_store(cards=[c for c in basic_cards() if c.kind == "basic"][:1])
    app = build_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_study(pilot)
        await pilot.press("space")
        await pilot.pause()
        lines = [line for line in _drawn(screen.query_one("#card-pane")) if line.strip()]
        rule = next(i for i, line in enumerate(lines) if "╌╌╌" in line)
        assert 0 < rule < len(lines) - 1, lines


async def test_settings_changed_from_another_process_apply_from_the_next_session(tmp_path):
    """`studyllm settings new_per_day 1` and `… scheduler fsrs` in another terminal while the app
    was open: home's refresh kept the old limits, and the next session answered with SM-2 cards
    the switch had just given FSRS states."""
    from conftest import UI_NOW, FrozenClock

    from studyllm.store import Store

    store = make_store(tmp_path, cards=[c for c in basic_cards() if c.kind == "basic"])
    first = store.next_card()
    store.answer(first.id, 4, 3000, shown=first)
    app = build_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert store.setting("new_per_day") == 20 and store.setting("scheduler") == "sm2"
        other = Store.open(tmp_path, clock=FrozenClock(UI_NOW, "UTC"))  # the CLI, in another process
        other.set_setting("new_per_day", 1)
        assert other.set_setting("scheduler", "fsrs")
        other.close()
        await pilot.press("r")  # home: read the counts again
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert store.setting("new_per_day") == 1
        progress = "\n".join(drawn_lines(app.screen.query_one("#today-progress")))
        assert "(0 new," in progress, progress  # the one new card of the day was answered before
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert store.setting("scheduler") == "fsrs"
        await pilot.press("space")
        await pilot.pause()
        bar = "\n".join(drawn_lines(screen.query_one("#grades")))
        assert "1m" in bar, bar  # FSRS's first learning step on the grade bar, not SM-2's 10m drill
