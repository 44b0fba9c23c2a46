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
