"""FSRS in the screens (issue #20): the grade bar's intervals equal what each grade then does
(Pilot, 80x24, both grading modes), Browse shows "recall ≈ NN%" and why the card is due, Stats
shows the desired retention beside the true one, and the Settings screen switches scheduler."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest
from test_fsrs_grade_bar import shown_intervals, store_with_history

from studyllm.schedule import FsrsState
from studyllm.store.browse import explain_card
from studyllm.ui.app import build_app
from studyllm.ui.screens.stats import retention_title
from studyllm.ui.screens.study import StudyScreen
from studyllm.ui.widgets.grades import GradeBar, interval_text, short_interval

pytest.importorskip("fsrs")

SIZE = (80, 24)


@pytest.mark.parametrize("mode", ["sm2", "four"])
async def test_fsrs_intervals_on_the_grade_bar_are_what_the_grade_does(mode: str) -> None:
    store = store_with_history()
    store.set_setting("scheduler", "fsrs")
    store.set_setting("grading_mode", mode)
    keys = ["4", "1", "5", "3", "0", "2"] if mode == "sm2" else ["3", "1", "4", "2"]
    grade_of = {str(g): g for g in range(6)} if mode == "sm2" else {"1": 2, "2": 3, "3": 4, "4": 5}
    seen_minutes, seen_days = set(), set()
    app = build_app(store, timer=lambda: 100.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, StudyScreen)
        bar = screen.query_one(GradeBar)
        for step in range(18):
            if screen.finished:
                break
            card = screen.card
            await pilot.press("space")
            await pilot.pause()
            shown = shown_intervals(bar)
            assert set(shown) == set(grade_of), (
                bar.lines_content(80).plain, step)
            key = keys[step % len(keys)]
            await pilot.press(key)
            await pilot.pause()
            after = store.card(card.id)
            fs = after.fsrs
            assert fs is not None, "the answer went through FSRS"
            now = store.now().astimezone(UTC)
            if after.is_drill:  # a learning step: back after its minutes
                minutes = max(1, round((fs.due - now).total_seconds() / 60))
                full = interval_text(store.today(), store.today(), minutes)
                assert shown[key] == full
                seen_minutes.add(shown[key])
            else:
                full = interval_text(after.due_day, store.today())
                # at 80 columns months-long intervals may lose their decimal ("3.1mo" -> "3mo")
                assert shown[key] in (full, short_interval(full)), (shown[key], full)
                seen_days.add(shown[key])
            if not screen.finished:  # the line after a grade has room for the full form
                back = bar.lines_content(80).plain
                said = re.search(r"comes back in (\S+)", back)
                assert said and said.group(1) in (shown[key], full), back
            store.clock.advance(minutes=11)  # let learning steps come due
    assert seen_minutes and seen_days, (seen_minutes, seen_days)
    # grade_of covers the keys pressed
    assert all(k in grade_of for k in keys)


def test_browse_detail_shows_fsrs_recall_and_why(tmp_path) -> None:
    store = store_with_history()
    desired = 0.85
    store.set_setting("desired_retention", desired)
    reviewed = [c for c in (store.card(i) for i in range(1, 9)) if c.reviews]
    assert "easiness factor" in explain_card(store, reviewed[-1]).lower()  # SM-2's explanation
    store.set_setting("scheduler", "fsrs")
    card = store.card(reviewed[-1].id)
    recall = store.recall_now(card)
    assert recall is not None and 0 < recall < 1
    text = explain_card(store, card)
    assert f"recall ≈ {round(recall * 100)}%" in text
    assert "desired retention, 85%" in text and "Stability" in text
    fs = card.fsrs
    assert isinstance(fs, FsrsState) and fs.last_review is not None
    # recall falls with time
    store.clock.advance(days=30)
    assert store.recall_now(store.card(card.id)) < recall


def test_short_intervals_keep_the_unit() -> None:
    assert short_interval("3.1mo") == "3mo" and short_interval("8.6mo") == "9mo"
    assert short_interval("1.3y") == "1y" and short_interval("6d") == "6d" and short_interval("10m") == "10m"


async def test_browse_screen_head_shows_recall_in_fsrs_mode() -> None:
    store = store_with_history()
    store.set_setting("scheduler", "fsrs")
    card = next(c for c in (store.card(i) for i in range(1, 9)) if c.reviews)
    app = build_app(store, timer=lambda: 100.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("b")
        await pilot.pause()
        screen = pilot.app.screen
        screen.show_detail(card.id)
        await pilot.pause()
        from textual.widgets import Static

        head = str(screen.query_one("#detail-head", Static).render())
        assert re.search(r"recall ≈ \d+%", head), head


def test_stats_show_desired_retention_in_fsrs_mode() -> None:
    from studyllm.store.stats import summary

    store = store_with_history()
    assert summary(store)["desired_retention"] is None
    assert retention_title(None) == "True retention (q ≥ 3): passed of reviews"
    store.set_setting("scheduler", "fsrs")
    store.set_setting("desired_retention", 0.92)
    assert summary(store)["desired_retention"] == 0.92
    assert retention_title(0.92).endswith("desired 92%")


def test_stats_command_shows_desired_retention_in_fsrs_mode(tmp_path, capsys) -> None:
    from studyllm.cli import main

    home = str(tmp_path / "h")
    assert main(["--home", home, "stats"]) == 0
    assert "desired (FSRS)" not in capsys.readouterr().out
    assert main(["--home", home, "settings", "scheduler", "fsrs"]) == 0
    assert main(["--home", home, "settings", "desired_retention", "0.88"]) == 0
    capsys.readouterr()
    assert main(["--home", home, "stats"]) == 0
    assert re.search(r"desired \(FSRS\)\s+88%", capsys.readouterr().out)


async def test_settings_screen_switches_scheduler_and_refuses_a_bad_retention() -> None:
    from textual.widgets import Input, Select, Static

    store = store_with_history()
    before = [store.card(i) for i in range(1, 9)]
    app = build_app(store, timer=lambda: 100.0)
    async with app.run_test(size=(100, 60)) as pilot:
        app.action_go("settings")
        await pilot.pause()
        screen = pilot.app.screen
        screen.query_one("#scheduler", Select).value = "fsrs"
        await pilot.pause()
        assert store.setting("scheduler") == "fsrs"
        assert "rescheduled" in str(screen.query_one("#scheduler-msg", Static).render())
        box = screen.query_one("#desired_retention", Input)
        box.value = "1.5"
        await pilot.pause()
        assert "0.70 to 0.99" in str(screen.query_one("#desired_retention-msg", Static).render())
        assert store.setting("desired_retention") == 0.9
        box.value = "0.8"
        await pilot.pause()
        assert store.setting("desired_retention") == 0.8
        steps = screen.query_one("#fsrs_learning_steps", Input)
        steps.value = "2, 15"
        await pilot.pause()
        assert store.setting("fsrs_learning_steps") == [2, 15]
        screen.query_one("#scheduler", Select).value = "sm2"
        await pilot.pause()
    assert store.setting("scheduler") == "sm2"
    assert [store.card(i) for i in range(1, 9)] == before
    assert timedelta(0) == timedelta(0)
