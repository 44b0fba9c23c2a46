"""The grade bar's next intervals (issue #20 part 3): after Space every grade says what it would
do ("4 good · 6d", "2 nearly · 10m"), and what a grade then does is exactly what it said; after a
grade the bar says when that card comes back. SM-2 today; 0-5 and 4-button modes, at 80x24."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import UI_NOW as NOW
from conftest import make_store

from studyllm.clock import FrozenClock
from studyllm.decks.model import ParsedCard
from studyllm.ui.app import build_app
from studyllm.ui.screens.study import StudyScreen
from studyllm.ui.widgets.grades import GradeBar, interval_text

SIZE = (80, 24)
LABEL = re.compile(r"(\d) ([A-Za-z]+) ?· ?(\S+)")


def cards(n: int) -> list[ParsedCard]:
    return [ParsedCard("basic", f"Question {i}?", f"Answer {i}.", ("Part",), line=2 * i + 1) for i in range(n)]


def store_with_history():
    """Eight basic cards; the first three already have SM-2 history (1, 2 and 3 passes), so
    the bar shows the 1-day, 6-day and EF-grown steps, not only a new card's."""
    clock = FrozenClock(NOW - timedelta(days=60), "UTC")
    store = make_store(cards=cards(8), clock=clock)
    for passes in (1, 2, 3):
        card = store.next_card(None)
        day = NOW - timedelta(days=60)
        for _ in range(passes):
            clock.set(day)
            store.answer(card.id, 5)
            day += timedelta(days=store.card(card.id).interval)
    clock.set(NOW)
    return store


def shown_intervals(bar: GradeBar, width: int = 80) -> dict[str, str]:
    """{key: interval text} as drawn on the bar."""
    return {key: iv for key, _word, iv in LABEL.findall(bar.lines_content(width).plain)}


@pytest.mark.parametrize("mode", ["sm2", "four"])
async def test_each_shown_interval_is_what_the_grade_then_does(mode: str) -> None:
    store = store_with_history()
    store.set_setting("grading_mode", mode)
    delay = store.setting("drill_delay_minutes")
    keys = ["5", "2", "4", "3", "0", "1"] if mode == "sm2" else ["4", "1", "3", "2"]
    grade_of = {str(g): g for g in range(6)} if mode == "sm2" else {"1": 2, "2": 3, "3": 4, "4": 5}
    seen = set()
    app = build_app(store, timer=lambda: 100.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, StudyScreen)
        bar = screen.query_one(GradeBar)
        for step in range(16):
            if screen.finished:
                break
            card = screen.card
            assert not shown_intervals(bar), "no intervals before the answer is shown"
            await pilot.press("space")
            await pilot.pause()
            shown = shown_intervals(bar)
            assert set(shown) == set(grade_of), f"every grade shows its interval at 80 columns: {shown}"
            key = keys[step % len(keys)]
            await pilot.press(key)
            await pilot.pause()
            after = store.card(card.id)
            today = store.today()
            if grade_of[key] < 4:  # a weak answer: back later today, after the drill delay
                assert shown[key] == f"{delay}m"
                assert after.is_drill
            else:
                assert not after.is_drill
                assert after.due_day is not None and after.due_day > today
                assert shown[key] == interval_text(after.due_day, today)
                seen.add(shown[key])
            if not screen.finished:
                assert f"comes back in {shown[key]}" in bar.lines_content(80).plain
        # the history gave a new card's 1d, a second pass's 6d and a longer EF-grown step
        assert "1d" in seen and len(seen) >= 2


async def test_drill_card_shows_its_review_day_for_a_pass() -> None:
    """A card in a same-day drill keeps its SM-2 state: 4 or 5 shows the day it was already due."""
    store = make_store(cards=cards(1))
    card = store.next_card(None)
    store.answer(card.id, 5)  # new -> 1 day
    store.answer(card.id, 3)  # same day: not a drill yet (5 ended none); 3 starts one
    drilled = store.card(card.id)
    assert drilled.is_drill
    preview = store.preview_answer(drilled)
    assert preview[5].minutes is None and preview[5].due_day == drilled.due_day
    assert preview[2].minutes == store.setting("drill_delay_minutes")
    result = store.answer(card.id, 5)
    assert result.due_day == drilled.due_day and not result.drill_again


@pytest.mark.parametrize("width", [40, 45, 50, 53, 56, 80, 120])
def test_intervals_fit_every_width(width: int) -> None:
    bar = GradeBar(mode="sm2")
    bar.set_state(active=True, intervals={0: "10m", 1: "10m", 2: "10m", 3: "10m", 4: "2.1mo", 5: "1.3y"})
    line = bar.lines_content(width).plain
    assert len(line.rstrip()) <= width
    assert all(str(g) in line for g in range(6))
    if width >= 80:
        assert "5 perfect" in line and "1.3y" in line


def test_interval_text() -> None:
    today = NOW.date()
    assert interval_text(today, today, 10) == "10m"
    assert interval_text(today + timedelta(days=1), today) == "1d"
    assert interval_text(today + timedelta(days=6), today) == "6d"
    assert interval_text(today + timedelta(days=45), today) == "1.5mo"
    assert interval_text(today + timedelta(days=730), today) == "2y"
