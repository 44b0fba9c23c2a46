"""The English ⇄ Chinese glossary deck (``decks/09-glossary.md``, issue 18).

Each course term is one ``:::`` line, so it is asked in both directions; the Chinese side of
a card never gives away the answer, and the 一千兆 cards teach why the notes' "一千兆" is
ambiguous and what to write instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from studyllm.decks import parser as deck_parser

GLOSSARY = Path(__file__).resolve().parents[1] / "decks" / "09-glossary.md"
CJK = re.compile(r"[\u3400-\u9fff]")

pytestmark = pytest.mark.skipif(not GLOSSARY.is_file(), reason="no glossary deck shipped")


def _deck():
    return deck_parser.parse_file(GLOSSARY)


def _term_pairs():
    cards = _deck().cards
    # every card outside the 一千兆 section is a term card
    forward = [c for c in cards if c.variant == "" and "一千兆" not in " ".join(c.heading_path)]
    reverse = {(c.back, c.front) for c in cards if c.variant == "reverse"}
    return forward, reverse


def test_glossary_parses_cleanly():
    deck = _deck()
    assert deck.errors == [] and deck.warnings == []
    assert deck.title and "中文" in deck.title


def test_at_least_25_terms_asked_both_ways():
    forward, reverse = _term_pairs()
    assert len(forward) >= 25
    for card in forward:
        assert (card.front, card.back) in reverse, f"line {card.line}: {card.front!r} is not asked in reverse"


def test_each_term_card_has_one_language_per_side():
    forward, _ = _term_pairs()
    for card in forward:
        assert not CJK.search(card.front), card.line
        assert not re.search(r"[A-Za-z]", card.back), f"line {card.line}: English in the Chinese side"


def test_terms_are_not_repeated():
    forward, _ = _term_pairs()
    english = [c.front.lower() for c in forward]
    chinese = [c.back for c in forward]
    assert len(set(english)) == len(english)
    assert len(set(chinese)) == len(chinese)


def test_yi_qian_zhao_is_taught_as_ambiguous():
    text = " ".join(f"{c.front} {c.back}" for c in _deck().cards if "兆" in c.front + c.back
                    or "10^15" in c.front + c.back)
    assert "一千兆" in text
    assert re.search(r"mainland[^.]*10\^6|10\^6[^.]*mainland", text), "兆 = 10^6 on the mainland"
    assert re.search(r"Taiwan[^.]*10\^12|10\^12[^.]*Taiwan", text), "兆 = 10^12 in Taiwan"
    assert "千万亿" in text and "拍" in text, "an unambiguous way to write 10^15"
    # 千万亿 is 10^3 x 10^4 x 10^8
    assert 10**3 * 10**4 * 10**8 == 10**15
