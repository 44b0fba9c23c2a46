"""The streamed parse (``parser.stream_bytes``) must give exactly what ``parse_bytes`` gives
(cards in order, warnings, skipped cards, key, title, tags, options, mode) or refuse the
file (``StreamFallback``), whatever the size of the pieces it reads the file in: pieces of a
single byte cut the file at every blank line and let go of the lines behind the pass as
early as it can, so a read of a line it let go of shows up here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from studyllm.decks import parser as parser_module
from studyllm.decks.model import ParsedDeck
from studyllm.decks.parser import StreamFallback, parse_bytes, stream_bytes, streamable

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "decks").glob("*.md"))
FIXTURES = sorted((ROOT / "tests" / "data" / "decks").glob("*.md"))
BENCH = sorted((ROOT / "benchmarks" / "out").glob("bench-*.md"))
PIECE_SIZES = (1, 7, 64, 4096)


def problems(errs) -> list[tuple]:
    return [(e.message, e.path, e.line, e.col, e.hint) for e in errs]


def summary(deck: ParsedDeck, cards) -> tuple:
    return (deck.path, deck.key, deck.title, deck.tags, deck.mode, deck.options, deck.content_hash, cards,
            problems(deck.warnings), problems(deck.skipped))


def streamed(data: bytes, path: str, chunk: int, batch: int = 3) -> tuple | None:
    got: list = []
    seen: list[tuple] = []

    def sink(deck: ParsedDeck, cards: list) -> None:
        assert 0 < len(cards)
        seen.append((deck.key, deck.title, deck.tags, deck.mode))
        got.extend(cards)

    every = parser_module._STREAM_EVICT_EVERY
    parser_module._STREAM_EVICT_EVERY = 1  # let go of lines after every block
    try:
        deck = stream_bytes(data, path, sink, chunk_bytes=chunk, batch=batch)
    except StreamFallback:
        return None
    finally:
        parser_module._STREAM_EVICT_EVERY = every
    assert len(set(seen)) == 1  # the deck's fields are known from the first batch on
    return summary(deck, got)


def assert_same(text: str, path: str = "deck.md") -> bool:
    """Streamed at every piece size, the same deck as parse_bytes, or a fallback (the same at
    every size except where a piece boundary meets what only the whole file shows); True if
    it streamed at the default piece size."""
    data = text.encode("utf-8", "surrogatepass")
    ref = parse_bytes(data, path)
    expected = summary(ref, ref.cards)
    results = [streamed(data, path, size) for size in PIECE_SIZES]
    for size, got in zip(PIECE_SIZES, results, strict=True):
        if got is not None:
            assert not ref.errors, text
            assert got == expected, (size, text)
    return results[-1] is not None


@pytest.mark.parametrize("path", SHIPPED + FIXTURES, ids=lambda p: p.name)
def test_shipped_decks_and_fixtures(path):
    assert_same(path.read_bytes().decode("utf-8"), str(path))


@pytest.mark.skipif(not BENCH, reason="no generated bench decks (benchmarks/gen_decks.py)")
@pytest.mark.parametrize("path", BENCH, ids=lambda p: p.name)
def test_bench_decks_stream(path):
    data = path.read_bytes()
    if len(data) > 3_000_000:
        pytest.skip("large deck")
    ref = parse_bytes(data, str(path), max_bytes=64 << 20)
    for chunk, batch in ((4096, 7), (256 * 1024, 2000)):
        got: list = []
        deck = stream_bytes(data, str(path), lambda _d, cards, got=got: got.extend(cards), max_bytes=64 << 20,
                            chunk_bytes=chunk, batch=batch)
        assert summary(deck, got) == summary(ref, ref.cards)


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 3]


TEST_TEXTS = sorted({s for f in sorted(ROOT.glob("tests/test_parser_*.py")) if f.name != Path(__file__).name
                     for s in _string_constants(f)})


def test_every_text_in_the_parser_tests():
    n = sum(assert_same(text) for text in TEST_TEXTS)
    assert len(TEST_TEXTS) > 100 and n > 30, (len(TEST_TEXTS), n)


MIXED = """---
title: Mixed
id: mixed
tags: [t1]
---
# Mixed

Q: What is `x`?
A: It is ``a `b` c``.

## Part 1

Capital :: Paris
Big ::: 大

The {{c1::Eiffel tower}} is in {{c2::Paris}}.

Q: one
A: answer that runs

over a blank line, then another card

Term :: meaning

C: The [dot product] measures [alignment].

What happens?
?
Uniform.

Q: dup
A: dup

Q: dup
A: dup

A: stray answer

Q: no answer

## Part 2 ##

A ==highlight== here.

Q: last?
A: yes
"""


@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_mixed_deck_streams_at_every_piece_size(batch):
    data = MIXED.encode()
    ref = parse_bytes(data, "mixed.md")
    assert ref.skipped and ref.warnings and len(ref.cards) > 10  # a deck with something of everything
    for size in PIECE_SIZES:
        assert streamed(data, "mixed.md", size, batch) == summary(ref, ref.cards)


@pytest.mark.parametrize("text", [
    "", "   \n", "- list\n\nQ: a\nA: b\n", "Q: a\nA: b\n\n- list\n", "#flashcards/bio\n\nQ: a\nA: b\n",
    "Q: a\nA: b\n<!--SR:!2026-01-01,1,250-->\n", "START\nBasic\nFront: a\nBack: b\nEND\n", "Q:\ta\nA: b\n",
    "\ufeffQ: a\nA: b\n", "---\nmode: outline\n---\nterm: def\n", "---\nmode: [\n---\nQ: a\nA: b\n",
    "just text, no cards\n", "Q: a\r\nA: b\r\n",
])
def test_what_streaming_leaves_to_the_whole_file_parse(text):
    data = text.encode()
    with pytest.raises(StreamFallback):
        stream_bytes(data, "x.md", lambda _d, _c: None, chunk_bytes=4)


def test_strict_and_other_modes_are_not_streamable():
    data = b"Q: a\nA: b\n"
    assert streamable(data)
    assert not streamable(data, strict=True)
    assert not streamable(data, mode="outline")
    assert not streamable(data, mode="headings")
    assert streamable(data, mode="cards")


def test_a_sink_error_is_passed_on_not_taken_for_a_fallback():
    class Boom(Exception):
        pass

    def sink(_deck, _cards):
        raise Boom

    with pytest.raises(Boom):
        stream_bytes(("Q: a\nA: b\n\n" * 10).encode(), "x.md", sink, batch=2)


simple_line = st.sampled_from([
    "", "", "", "# Title", "## Part", "### Sub ##", "#", "## ", "# Other title", "Q: question `a`", "A: answer",
    "A:", "Q:", "?", "??", "x :: y", "a ::: b", "{{c1::x}} y", "C: [a] b", "text `c` d", "O: steps", "   indented",
    "    lazy", "  # h", "\\# not", "#no", "what? ", "end\\", "a ==b== c", "Q: same", "A: same", "大 :: 小",
    "Q: 注意力？", "A: `x` \\` y", "title: x",
])
simple_document = st.lists(simple_line, max_size=40).map("\n".join)
other_document = st.tuples(simple_document, st.sampled_from(["---", "- item", "> q", "```"]), simple_document
                           ).map("\n".join)
with_front_matter = st.tuples(
    st.lists(st.sampled_from(["title: T", "id: x", "tags: [a]", "mode: cards", "mode: outline"]), max_size=3),
    simple_document).map(lambda t: "\n".join(["---", *t[0], "---", t[1]]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(simple_document, with_front_matter, other_document))
def test_random_documents(text):
    event("streamed" if assert_same(text, "fuzz.md") else "fell back")
