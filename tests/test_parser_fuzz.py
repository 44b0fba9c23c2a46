"""Property tests: random Markdown-ish input never raises anything but DeckError,
and never trips the parser's internal-error guard."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studyllm.decks.model import CARD_KINDS, DeckError, ParsedDeck
from studyllm.decks.parser import parse_deck, parse_file

PIECES = [
    "Q: ", "A: ", "C: ", "O: ", "Q:", "?", "??", "::", ":::", " :: ", "{{c1::", "{{c2::", "}}", "::hint}}",
    "==", "[", "]", "](http://x)", "[x] ", "[ ] ", "- ", "* ", "1. ", "2) ", "> ", "    ", "\t", "```", "```calc",
    "~~~", "`", "<!--", "-->", "<!--SR:!2026-01-01,1,250-->", "<div>", "</div>", "<span a='b::c'>", "---", "***",
    "# ", "## ", "###### ", "===", "|", "| a | b |", "|---|---|", "(in order)", "\\", "\\::", "**", "__", "$",
    "自编码模型", "注意力", "：", "？", "\x00", "\x1b[31m", "\x7f", "\r", "\r\n", "\u2028", "\ufeff", "é", "😀",
    "title: x", "mode: outline", "mode: headings", "new_per_day: -1", "tags: [a", "term: def", "**Term:** def",
]

chunk = st.one_of(st.sampled_from(PIECES), st.text(max_size=12))
line = st.lists(chunk, max_size=8).map("".join)
document = st.lists(line, max_size=30).map("\n".join)
with_front_matter = st.tuples(st.lists(line, max_size=4), document).map(
    lambda t: "---\n" + "\n".join(t[0]) + "\n---\n" + t[1])


def check(deck: ParsedDeck, text: str) -> None:
    assert isinstance(deck, ParsedDeck)
    assert not [e for e in deck.errors if "internal error" in e.message], deck.errors
    n_lines = text.count("\n") + text.count("\r") + 2
    for err in deck.errors + deck.warnings:
        assert isinstance(err, DeckError) and err.line >= 1 and err.col >= 1
    for card in deck.cards:
        assert card.kind in CARD_KINDS
        assert 1 <= card.line <= n_lines
        assert card.front == card.front.strip() or card.kind == "calc"
        if card.kind == "mcq":
            assert any(c["correct"] for c in card.extra["choices"])
        if card.kind == "cloze":
            assert card.variant == card.extra["index"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(document, with_front_matter), st.booleans())
def test_random_markdown_never_crashes(text, outline):
    try:
        deck = parse_deck(text, "fuzz.md", outline=outline)
    except DeckError:  # allowed by the contract, although the parser reports instead
        return
    check(deck, text)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "deck.md"
        path.write_bytes(data)
        deck = parse_file(path)
    assert isinstance(deck, ParsedDeck)
    assert not [e for e in deck.errors if "internal error" in e.message], deck.errors
