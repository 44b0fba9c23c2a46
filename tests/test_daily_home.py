"""Issue #19 item 15: home's time estimate, from the learner's own recent pace."""

from __future__ import annotations

from conftest import drawn_lines, make_store, settle

from studyllm.store.pace import CAP_SECONDS, estimate_minutes, recent_pace
from studyllm.ui.app import build_app
from studyllm.ui.screens.home import time_estimate


def _answer(store, seconds: list[float]) -> None:
    for s in seconds:
        card = store.next_card()
        assert card is not None
        store.answer(card.id, 4, duration_ms=int(s * 1000))


def test_pace_is_the_mean_of_recent_timed_answers_capped():
    store = make_store()
    assert recent_pace(store) is None  # no history: no guess
    _answer(store, [4.0, 8.0])
    assert recent_pace(store) == 6.0
    _answer(store, [600.0])  # walked away: counts as the cap, not ten minutes
    assert recent_pace(store) == (4.0 + 8.0 + CAP_SECONDS) / 3
    assert recent_pace(store, n=1) == CAP_SECONDS  # only the most recent answers count


def test_pace_skips_untimed_answers():
    store = make_store()
    _answer(store, [0.0, 10.0])  # duration 0: imported or not measured
    assert recent_pace(store) == 10.0


def test_estimate_rounds_up_to_whole_minutes():
    assert estimate_minutes(0, 8.0) == 0
    assert estimate_minutes(1, 1.0) == 1
    assert estimate_minutes(45, 8.0) == 6  # 360 s
    assert estimate_minutes(46, 8.0) == 7  # 368 s
    assert time_estimate(45, 8.0) == " ≈ 6 min"
    assert time_estimate(45, None) == ""
    assert time_estimate(0, 8.0) == ""


async def test_home_shows_the_estimate_from_the_learners_pace():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        progress = str(app.screen.query_one("#today-progress").render())
        assert "≈" not in progress  # nothing answered yet: no made-up figure
    _answer(store, [30.0, 30.0])  # 2 answered at 30 s each
    left = store.counts().total
    assert left > 0
    app = build_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        progress = str(app.screen.query_one("#today-progress").render()).replace("\n", " ")
        assert f"{left} to go ≈ {estimate_minutes(left, 30.0)} min" in progress
        streak = str(app.screen.query_one("#today-streak").render())
        assert streak.startswith("Streak:")
        assert app.screen.query_one("#today-streak").region.right <= 80  # still on screen at 80 columns


def test_progress_line_breaks_before_the_counts_never_inside_them():
    from studyllm.ui.screens.home import progress_line

    head, counts = "Today: 12 answered, 127 to go ≈ 14 min", "(20 new, 107 due, 12 again)"
    assert progress_line(head, counts, 120) == f"{head} {counts}"
    assert progress_line(head, counts, 50) == f"{head}\n{counts}"


async def test_todays_line_at_80_columns_keeps_the_counts_together():
    """At 80×24 the line wrapped inside the counts: "… ≈ 3 min (20 new, 7 due, 0" / "again)"."""
    from conftest import add_cards_deck

    from studyllm.decks.model import ParsedCard

    store = make_store()
    add_cards_deck(store, [ParsedCard("basic", f"Question {i}?", f"Answer {i}.", ("More",), line=i + 1)
                           for i in range(40)], title="More", key="more")
    store.set_setting("new_per_day", 120)
    _answer(store, [5.0, 6.0, 7.0])
    app = build_app(store)
    for size in ((80, 24), (120, 40)):
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            text = [line.strip() for line in drawn_lines(app.screen.query_one("#today-progress")) if line.strip()]
            counts = next(t for t in text if "new," in t)
            assert "(" in counts and counts.endswith("again)"), text
            if size[0] >= 120:
                assert len(text) == 1, text
        app = build_app(store)


async def test_home_says_when_the_review_limit_holds_reviews_back():
    """With 5 reviews a day and 10 due, home said "No reviews due now" and "All done for today"
    once the 5 were answered, while 5 more were due."""
    from studyllm.decks.model import ParsedCard

    cards = [ParsedCard("basic", f"Q{i}?", f"A{i}.", ("Deck",), line=i + 1) for i in range(6)]
    store = make_store(cards=cards)
    for _ in range(6):
        card = store.next_card()
        store.answer(card.id, 4, 3000, shown=card)
    store.clock.advance(days=1)
    assert store.counts().review == 6
    store.set_setting("reviews_per_day", 2)
    for _ in range(2):
        card = store.next_card()
        store.answer(card.id, 4, 3000, shown=card)
    assert store.counts().review == 0 and store.due_reviews_all() == 4
    app = build_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = " ".join(drawn_lines(app.screen.query_one("#today-next")))
        assert "review limit is reached (4 more due" in line, line
        hint = " ".join(drawn_lines(app.screen.query_one("#home-hint")))
        assert "All done for today" not in hint and "limits" in hint, hint
    store.set_setting("reviews_per_day", 200)
    app = build_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = " ".join(drawn_lines(app.screen.query_one("#today-next")))
        assert "Reviews due now: 4" in line and "more due" not in line, line
