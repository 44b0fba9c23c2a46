"""The parse-time bounds (#17 item 6) are applied: tested with the limits made small, so inputs of
a few kilobytes stand for the megabyte bombs (the full-size figures come from
``benchmarks/bench_bombs.py``, not from a timed test)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studyllm.decks import _limits, _markdown
from studyllm.decks import parser as deck_parser
from studyllm.decks.parser import parse_deck


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setattr(_limits, "MAX_INLINE_STOPS", 40)
    monkeypatch.setattr(_limits, "MAX_INLINE_STOPS_PER_FILE", 200)
    monkeypatch.setattr(_limits, "MAX_LINES", 60)
    monkeypatch.setattr(_limits, "MAX_CARDS", 12)
    monkeypatch.setattr(_markdown, "MAX_TABLE_COLUMNS", 6)
    monkeypatch.setattr(_markdown, "MAX_TABLE_CELLS", 30)


def test_paragraph_with_too_much_markup_is_skipped_not_the_file(small_limits):
    deck = parse_deck("good :: card\n\nQ: bomb\nA: " + "<a" * 50 + "\n\nafter :: too\n", "b.md")
    assert [c.front for c in deck.cards] == ["good", "after"]  # the bomb's answer is left out with it
    (err,) = deck.skipped
    assert (err.line, err.path) == (3, "b.md") and "over the 40 limit" in err.message


def test_file_budget_of_markup(small_limits):
    paragraphs = [f"card{i} :: " + "`x` " * 15 for i in range(30)]  # 30 each: under 40, over 200 in all
    deck = parse_deck("\n\n".join(paragraphs) + "\n", "b.md")
    assert 5 <= len(deck.cards) <= 7
    assert any("this paragraph and the ones after it" in e.message for e in deck.skipped)


@pytest.mark.parametrize("cols", [7, 40])
def test_wide_table_is_read_as_text_with_a_warning(small_limits, cols):
    table = "|" + "h|" * cols + "\n|" + "-|" * cols + "\n|" + "c|" * cols + "\n"
    deck = parse_deck("Q: wide?\nA:\n\n" + table, "t.md")
    assert any("columns" in w.message and w.line == 4 for w in deck.warnings)
    tokens = _markdown.get_md().parse(table, {})
    assert not any(t.type == "table_open" for t in tokens)


def test_table_with_too_many_cells(small_limits):
    table = "| a | b |\n|---|---|\n" + "| 1 | 2 |\n" * 20  # 40 cells > 30
    deck = parse_deck("Q: long?\nA:\n\n" + table, "t.md")
    assert any("cells" in w.message for w in deck.warnings)
    small = "| a | b |\n|---|---|\n" + "| 1 | 2 |\n" * 5
    assert any(t.type == "table_open" for t in _markdown.get_md().parse(small, {}))


def test_too_many_lines_or_cards_is_a_file_error(small_limits):
    deck = parse_deck("\n".join(f"line {i}" for i in range(100)), "l.md")
    assert deck.errors and "over the 60 limit" in deck.errors[0].message and deck.cards == []
    deck = parse_deck("\n\n".join(f"t{i} :: m{i}" for i in range(20)), "c.md")
    assert deck.errors and "more than 12 cards" in deck.errors[0].message and deck.cards == []


def test_bounds_scale_with_the_size_limit(small_limits):
    text = "\n\n".join(f"t{i} :: m{i}" for i in range(20))
    assert len(parse_deck(text, "c.md", max_bytes=2 * deck_parser.MAX_FILE_BYTES).cards) == 20


def test_deep_nesting_is_refused_before_markdown_it_reads_it():
    text = "".join("  " * i + "- a\n" for i in range(80))
    deck = parse_deck(text, "n.md")
    assert deck.errors and "nested too deeply" in deck.errors[0].message


@pytest.mark.parametrize("unit,limit", [("{{c1::x}} ", 10_000), ("==a== ", 50), ("[a] ", 50)])
def test_cloze_scans_stop_once_the_note_is_refused(unit, limit):
    head = "C: " if unit.startswith("[") else ""
    lines = [unit * 1000] * ((limit + 500) // 1000 + 1)  # one paragraph, lines under the length limit
    deck = parse_deck(head + "\n".join(lines) + "\n", "z.md")
    assert deck.cards == [] and deck.skipped and "more than" in deck.skipped[0].message


PIECES = ["<a", "[x](", "[", "`", "\\", "|", "|-", "{{c1::", "}}", "==", "::", "?", "Q: ", "A: ", "a", " ",
          "\n", "\n\n", "- ", "> ", "```"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=400))
def test_bounds_hold_on_any_mix(pieces):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_limits, "MAX_INLINE_STOPS", 40)
        mp.setattr(_limits, "MAX_CARDS", 12)
        mp.setattr(_markdown, "MAX_TABLE_COLUMNS", 6)
        mp.setattr(_markdown, "MAX_TABLE_CELLS", 30)
        text = "".join(pieces)
        deck = parse_deck(text, "mix.md")
        assert len(deck.cards) <= 12
        # every table markdown-it still builds is within the bounds
        tokens = _markdown.get_md().parse(text, {})
        rows = cols = cells = 0
        for tok in tokens:
            if tok.type == "table_open":
                cells = 0
            elif tok.type == "tr_open":
                rows, cols = rows + 1, 0
            elif tok.type in ("th_open", "td_open"):
                cols += 1
                cells += 1
                assert cols <= 6 + 1 and cells <= 30 + 7
        # a top-level paragraph over the markup limit made a message naming its line (unless a file
        # error, e.g. an unclosed fence, stopped the file first)
        if not deck.errors:
            for k, tok in enumerate(tokens):
                if tok.type == "inline" and tok.level == 1 and tokens[k - 1].type == "paragraph_open" \
                        and _markdown.inline_stops(tok.content) > 40:
                    assert any(e.line == tok.map[0] + 1 for e in deck.skipped)
