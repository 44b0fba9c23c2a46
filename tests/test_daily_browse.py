"""Browse's card detail as a learner reads it after a few days: whole words and whole columns."""

from __future__ import annotations

import re

import pytest
from conftest import drawn_lines, make_store
from test_ui_screens import wait_search

from studyllm.store.browse import explain_card
from studyllm.ui.app import build_app


def test_the_state_in_words_has_no_bracketed_plurals():
    """"1 successful recall(s) in a row … 1 review(s), 0 lapse(s)" read as a form letter."""
    store = make_store()
    card = store.next_card()
    store.answer(card.id, 5)
    text = explain_card(store, store.card(card.id))
    assert "(s)" not in text, text
    assert "1 successful recall in a row" in text and "1 review," in text and "0 lapses." in text, text
    for _ in range(2):
        store.answer(card.id, 5, shown=store.card(card.id))
    text = explain_card(store, store.card(card.id))
    assert "3 successful recalls in a row" in text and "3 reviews," in text, text


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_history_table_shows_whole_columns(size):
    """At 120×40 the history's six columns were cut to "2026-…", "2.50→…", "Inter…"."""
    store = make_store()
    card = store.next_card()
    for grade in (5, 4, 3):
        store.answer(card.id, grade, 8000, shown=store.card(card.id))
    app = build_app(store)
    async with app.run_test(size=size) as pilot:
        await pilot.press("b")
        screen = app.screen
        await wait_search(pilot, screen, 0)
        screen.show_detail(card.id)
        await pilot.pause()
        lines = [line.strip("│ ") for line in drawn_lines(screen.query_one("#detail-history")) if line.strip()]
        assert lines, "no history drawn"
        assert "…" not in "\n".join(lines), lines
        header = lines[0].split()
        assert header[:3] == ["Day", "Grade", "Next"], header
        if size[0] >= 120:
            assert header == ["Day", "Grade", "Next", "EF", "Kind", "Time"], header
        rows = lines[1:]
        assert len(rows) == len(store.history(card.id)) == 3
        assert all(re.match(r"\d{4}-\d\d-\d\d\s+[0-5]\s+\d+ d", row) for row in rows), rows


def _parsed_calc_card():
    """A calculator card as the parser makes it from a deck: its front is the spec itself."""
    from conftest import CALC_BODY

    from studyllm.decks.parser import parse_deck

    deck = parse_deck(f"# Memory\n\n```calc\n{CALC_BODY}```\n", "calc.md")
    (card,) = deck.cards
    assert card.kind == "calc" and card.front.startswith("question:")
    return card


@pytest.mark.parametrize(("body", "question"), [
    ("question: How many GB for {params}?\nvars:\n  params: choice(1B)\n", "How many GB for {params}?"),
    ("vars:\n  p: choice(1B)\nquestion: 'Quoted {p}?'\nanswer: p\n", "Quoted {p}?"),
    ("question: >\n  Folded over\n  two lines?\nanswer: 1\n", "Folded over two lines?"),
    ("answer: 1\nunit: GB\n", "answer: 1\nunit: GB\n"),  # no question key: the body as it is
])
def test_calc_question_reads_the_template(body, question):
    from studyllm.ui.presenters.calc import calc_question, split_calc_body

    assert calc_question(body) == question
    template, rest = split_calc_body(body)
    if template:
        assert "question" not in rest and "answer" in rest or "vars" in rest, rest


async def test_a_calculator_card_reads_as_its_question_in_the_list_and_as_a_block_in_the_detail():
    """The list showed "question: How many GB do the weights of a {params} mod…" and the detail
    the spec as Markdown prose (its indentation lost) over an empty dashed back."""
    store = make_store(cards=[_parsed_calc_card()])
    app = build_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("b")
        screen = app.screen
        await wait_search(pilot, screen, 0)
        table = screen.query_one("#results")
        first = str(table.get_row_at(0)[0])
        assert first.startswith("How many GB does it take"), first
        screen.show_detail(screen.rows[0].id)
        from textual.widgets._markdown import MarkdownFence

        markdown = screen.query_one("#detail-front")
        fences = []
        for _ in range(20):  # the Markdown widget builds its blocks over a few frames
            await pilot.pause()
            fences = list(markdown.query(MarkdownFence))
            if fences:
                break
        assert len(fences) == 1, markdown.source
        assert "  params: choice(1B, 7B, 13B)" in fences[0].code  # the spec's indentation is kept
        assert "question" not in fences[0].code  # the question is prose above it, wrapped to the panel
        assert markdown.source.startswith("How many GB does it take to store the weights")
        assert not screen.query_one("#detail-back").display
