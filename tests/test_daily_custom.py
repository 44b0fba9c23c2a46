"""Issue #19 item 14: custom study from home: more new cards today (N), review ahead (next N
days), cram a deck/tag/search without moving the schedule; each its own session, saying so."""

from __future__ import annotations

from conftest import add_cards_deck, basic_cards, make_store, settle

from studyllm.decks.model import ParsedCard
from studyllm.store import custom
from studyllm.ui.app import build_app

SIZE = (80, 24)


def many_cards(n: int, tag: str = "") -> list[ParsedCard]:
    return [ParsedCard("basic", f"Question {i}?", f"Answer {i}.", ("Many",), line=2 * i + 1,
                       tags=(tag,) if tag else ()) for i in range(n)]


def schedule_rows(store) -> list[tuple]:
    with store.database.connect() as conn:
        states = conn.raw.execute("SELECT * FROM card_state ORDER BY card_id").fetchall()
        log = conn.raw.execute("SELECT count(*) FROM review_log").fetchone()[0]
    return [*states, log]


def test_more_new_is_beyond_todays_limit_and_leaves_todays_queue_as_it_was():
    store = make_store(cards=many_cards(12))
    store.set_setting("new_per_day", 4)
    assert store.counts().new == 4
    today_first = store.next_card().id
    session = custom.more_new(store, 3)
    assert len(session.pending) == 3 and today_first not in session.pending
    assert "3 more new cards" in session.title
    for _ in range(3):
        card = session.next_card()
        session.answer(card.id, 4, 5000)
    assert session.next_card() is None
    assert store.counts().new == 4  # the session's cards didn't use up today's own 4
    assert store.answered_today() == 3  # and they were really learnt (logged, scheduled)


def test_review_ahead_takes_cards_due_in_the_next_days_only():
    store = make_store(cards=many_cards(6))
    for _ in range(6):
        card = store.next_card()
        store.answer(card.id, 5)  # each is due tomorrow
    store.clock.advance(days=1)
    # tomorrow: all 6 due; answer two, they go to 6 days later
    for _ in range(2):
        card = store.next_card()
        store.answer(card.id, 5)
    assert custom.review_ahead(store, 1).pending == []  # nothing is due tomorrow
    session = custom.review_ahead(store, 6)
    assert len(session.pending) == 2
    card = session.next_card()
    result = session.answer(card.id, 4)
    assert result.due_day is not None and result.due_day > store.today()  # rescheduled as usual


def test_cram_asks_a_deck_tag_or_search_and_moves_nothing():
    store = make_store()
    add_cards_deck(store, many_cards(4, tag="drill"), title="Drill", key="drill")
    before = schedule_rows(store)
    by_tag = custom.cram(store, tag="drill")
    assert len(by_tag.pending) == 4 and "#drill" in by_tag.title and "schedule untouched" in by_tag.title
    by_search = custom.cram(store, "Question 2")
    assert [store.card(i).front for i in by_search.pending] == ["Question 2?"]
    deck = store.deck_id("drill")
    session = custom.cram(store, deck_id=deck, deck_title="Drill")
    assert len(session.pending) == 4
    first = session.next_card()
    assert session.preview_answer(first) == {}  # no "comes back in": nothing is scheduled
    session.answer(first.id, 1)  # forgotten: asked again at the end
    assert session.pending[-1] == first.id and len(session.pending) == 4
    undone = session.undo_action()
    assert undone is not None and undone.card_id == first.id and session.pending[0] == first.id
    while (card := session.next_card()) is not None:
        session.answer(card.id, 5)
    assert schedule_rows(store) == before  # not one state or log row changed


async def test_custom_study_from_home_is_its_own_session_and_home_is_unchanged_after():
    store = make_store()
    add_cards_deck(store, many_cards(5, tag="drill"), title="Drill", key="drill")
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        counts_before = store.counts()
        before = schedule_rows(store)
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert type(dialog).__name__ == "CustomStudyDialog"
        dialog.query_one("#custom-deck").value = store.deck_id("drill")
        dialog.query_one("#custom-search").value = "Question"
        dialog.query_one("#custom-search").focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "CustomStudyScreen"
        assert "Cram (schedule untouched)" in screen.sub_title and "Drill" in screen.sub_title
        assert app.store is screen.session_store  # the session stands in for the store while on top
        front = screen.card.front
        assert front.startswith("Question")
        await pilot.press("space", "5")
        await pilot.pause()
        assert screen.card is not None and screen.card.front != front
        await pilot.press("escape")
        await settle(pilot)
        assert app.store is not screen.session_store
        assert store.counts() == counts_before and schedule_rows(store) == before
        # an empty choice says so and starts nothing
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one("#custom-search").value = "no such words anywhere"
        await pilot.click("#start-cram")
        await pilot.pause()
        assert type(app.screen).__name__ == "CustomStudyDialog"
        assert "No card matches" in str(app.screen.query_one("#custom-error").render())
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"


async def test_more_new_from_home_says_so_and_schedules():
    store = make_store(cards=basic_cards()[:2] + many_cards(6))
    store.set_setting("new_per_day", 2)
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one("#custom-deck").clear()  # all decks
        app.screen.query_one("#custom-new").value = "2"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "CustomStudyScreen"
        assert "Custom study: 2 more new cards" in screen.sub_title
        await pilot.press("space", "4")
        await pilot.pause()
        assert store.answered_today() == 1
        # today's own 2 new cards are still there, and the session's unanswered one is offered today too
        assert store.counts().new == 3


async def test_a_number_too_large_for_custom_study_is_an_error_on_the_screen_not_a_crash():
    """A 21-digit number of new cards (SQLite's LIMIT: OverflowError) or of days ahead (past the
    calendar: OverflowError) ended the app with a traceback; now the screen says what it takes."""
    store = make_store(cards=many_cards(6))
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        for field, value, what in (("#custom-new", "9" * 21, "new cards"), ("#custom-ahead", "9" * 8, "days"),
                                   ("#custom-ahead", "9" * 21, "days")):
            app.screen.query_one(field).value = value
            app.screen.query_one(field).focus()
            await pilot.press("enter")
            await pilot.pause()
            assert type(app.screen).__name__ == "CustomStudyDialog", app.screen
            error = str(app.screen.query_one("#custom-error").render())
            assert f"the number of {what} must be 1 to" in error
        assert app.is_running
