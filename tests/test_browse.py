"""Browse queries: search (ASCII case-insensitive, CJK substrings), filters, tags, and
the SM-2 state in words."""

from __future__ import annotations

import pytest
from conftest import add_cards_deck, basic_cards, make_store

from studyllm.decks.model import ParsedCard
from studyllm.store.browse import all_tags, explain_state, search_cards


def test_search_words_case_insensitive_and_cjk():
    store = make_store()
    assert [r.front for r in search_cards(store, "sft")] == ["What does SFT stand for?"]
    assert [r.front for r in search_cards(store, "fp16 bytes")] == ["How many bytes per parameter in FP16?"]
    assert [r.front for r in search_cards(store, "神经网络")] == ["什么是大语言模型？"]  # matches the back
    assert search_cards(store, "nothing-like-this") == []
    assert len(search_cards(store, "")) == len(basic_cards())


def test_filters_by_deck_state_and_tag():
    store = make_store()
    add_cards_deck(store, [ParsedCard("basic", "Other deck card", "x")], title="Other", key="other", tags=("extra",))
    other = store.deck_id("other")
    assert [r.front for r in search_cards(store, deck_id=other)] == ["Other deck card"]
    assert [r.front for r in search_cards(store, tag="extra")] == ["Other deck card"]  # deck tag
    assert [r.front for r in search_cards(store, tag="memory")] == ["How many bytes per parameter in FP16?"]
    assert all_tags(store) == ["extra", "memory"]
    first = store.next_card()
    store.answer(first.id, 5)
    assert [r.id for r in search_cards(store, state="learning")] == [first.id]
    assert first.id not in {r.id for r in search_cards(store, state="new")}
    store.suspend(first.id)
    rows = search_cards(store, state="suspended")
    assert [r.id for r in rows] == [first.id] and rows[0].state == "suspended"
    assert search_cards(store, state="leech") == []
    assert search_cards(store, state="archived") == []
    with pytest.raises(ValueError):
        search_cards(store, state="bogus")


def test_archived_cards_only_with_archived_filter():
    store = make_store()
    cards = basic_cards()
    add_cards_deck(store, cards[1:], title="Week 1", key="week1")  # first card removed from the file
    assert "What does SFT stand for?" not in {r.front for r in search_cards(store)}
    assert [r.front for r in search_cards(store, state="archived")] == ["What does SFT stand for?"]


def test_explain_state_in_words():
    store = make_store()
    today = store.today()
    card = store.next_card()
    assert "New: never answered" in explain_state(card, [], today)
    store.answer(card.id, 5)
    c = store.card(card.id)
    text = explain_state(c, store.history(card.id), today)
    assert text.startswith("Due tomorrow") and "first successful recall" in text
    store.clock.advance(days=1)
    store.answer(card.id, 4)
    text = explain_state(store.card(card.id), store.history(card.id), store.today())
    assert "Due in 6 days" in text and "second successful recall" in text
    store.clock.advance(days=6)
    store.answer(card.id, 5)
    c = store.card(card.id)
    text = explain_state(c, store.history(card.id), store.today())
    assert f"Due in {c.interval} days" in text and "6 days × easiness" in text
    store.clock.advance(days=c.interval)
    store.answer(card.id, 1)
    c = store.card(card.id)
    text = explain_state(c, store.history(card.id), store.today())
    assert "started the card over" in text and "comes back later today" in text
    store.clock.advance(days=3)
    text = explain_state(store.card(card.id), store.history(card.id), store.today())
    assert text.startswith("Overdue by 2 days")


def test_a_card_whose_stored_tags_are_not_json_doesnt_break_a_tag_search():
    store = make_store()
    add_cards_deck(store, [ParsedCard("basic", "Tagged card", "x", tags=("kept",))], title="T", key="t")
    with store.database.begin() as conn:
        conn.execute("UPDATE card SET tags = 'not json' WHERE front <> 'Tagged card'")
    assert [r.front for r in search_cards(store, tag="kept")] == ["Tagged card"]
    assert all_tags(store) == ["kept"]
