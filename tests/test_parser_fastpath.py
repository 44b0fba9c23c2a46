"""The import fast path (``studyllm/decks/_fastpath.py`` and ``_markdown.mask_simple``) must
give exactly what the full markdown-it path gives: same cards, fronts, backs, heading paths,
lines, columns, kinds, errors and warnings, or refuse the file."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from studyllm.decks import _fastpath
from studyllm.decks._markdown import get_md, mask_simple, masked_content
from studyllm.decks.model import ParsedDeck
from studyllm.decks.parser import _DeckParser, parse_deck

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "decks").glob("*.md"))
FIXTURES = sorted((ROOT / "tests" / "data" / "decks").glob("*.md"))
BENCH = sorted((ROOT / "benchmarks" / "out").glob("bench-*.md"))


def summary(deck: ParsedDeck) -> tuple:
    def problems(errs):
        return [(e.message, e.path, e.line, e.col, e.hint) for e in errs]

    return (deck.path, deck.key, deck.title, deck.tags, deck.mode, deck.options, deck.content_hash,
            deck.cards, problems(deck.errors), problems(deck.warnings))


def takes_fast_path(text: str) -> bool:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    return _fastpath.split(text, text.split("\n")) is not None


@contextmanager
def general_loop_only() -> Iterator[None]:
    """The block pass without its shortcut for two-line `Q:`/`A:` paragraphs (``qa_lane``)."""
    _DeckParser.qa_lane = False
    try:
        yield
    finally:
        _DeckParser.qa_lane = True


def assert_same(text: str, path: str = "deck.md") -> bool:
    """Both paths agree (in cards mode and in outline mode); True if the fast one was taken.
    The markdown-it path is taken without the `Q:`/`A:` shortcut, so that is checked too."""
    for outline in (False, True):
        fast = parse_deck(text, path, outline=outline)
        with general_loop_only():
            slow = parse_deck(text, path, outline=outline, _fast_path=False)
        assert summary(fast) == summary(slow), text
    return takes_fast_path(text)


@pytest.mark.parametrize("path", SHIPPED + FIXTURES, ids=lambda p: p.name)
def test_shipped_decks_and_fixtures_same_on_both_paths(path):
    assert_same(path.read_bytes().decode("utf-8-sig"), str(path))


@pytest.mark.skipif(not BENCH, reason="no generated bench decks (benchmarks/gen_decks.py)")
@pytest.mark.parametrize("path", BENCH, ids=lambda p: p.name)
def test_bench_decks_same_and_fast(path):
    text = path.read_text(encoding="utf-8")
    if len(text) > 3_000_000:
        pytest.skip("large deck")
    assert assert_same(text, str(path))


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 3]


TEST_TEXTS = sorted({s for f in sorted(ROOT.glob("tests/test_parser_*.py")) if f.name != Path(__file__).name
                     for s in _string_constants(f)})


def test_every_text_in_the_parser_tests_same_on_both_paths():
    fast = sum(assert_same(text) for text in TEST_TEXTS)
    assert len(TEST_TEXTS) > 100 and fast > 30, (len(TEST_TEXTS), fast)


SIMPLE = """---
title: Simple
id: simple
---
# Simple

## Part 1

Q: What is `x`?
A: It is ``a `b` c``.

## Part 2

Capital :: Paris
Big ::: 大

The {{c1::Eiffel tower}} is in {{c2::Paris}}.

Q: multi
line question
A: answer with $\\alpha$ and \\`not code\\` and a trailing #
### Sub ###
C: The [dot product] measures [alignment].

#### Last

What happens?
?
Uniform.
"""


def test_simple_deck_takes_the_fast_path_and_agrees():
    assert assert_same(SIMPLE)
    deck = parse_deck(SIMPLE, "simple.md")
    assert not deck.errors and len(deck.cards) == 10, deck.cards


@pytest.mark.parametrize("piece", [
    "- item", "* item", "+ item", "1. item", "2) item", "> quote", "```\ncode\n```", "~~~\ncode\n~~~",
    "text\n===", "text\n---", "***", "___", "    indented code", "a | b\n--|--", "| a |", "<div>\nx\n</div>",
    "<!--SR:!2026-01-01,1,250-->", "[ref]: http://x", "text\twith tab", ": colon start",
])
def test_other_constructs_refuse_the_fast_path(piece):
    text = f"# Deck\n\nQ: a\nA: b\n\n{piece}\n\nx :: y\n"
    assert not takes_fast_path(text)
    assert_same(text)


def test_unclosed_front_matter_refuses_the_fast_path():
    text = "---\ntitle: x\n\nQ: a\nA: b\n"
    assert not takes_fast_path(text)
    assert_same(text)


# ------------------------------------------------------------------------ masked text


def markdown_it_masked(text: str) -> str:
    return masked_content(get_md(), text, {}, fast=False)


inline_piece = st.sampled_from(["`", "``", "```", "\\", "\\`", "\\\n", "\n", " ", "  ", "\t", "a", "b c",
                                "::", "Q:", "大", "$", "!", "]", "*", "😀", "\\\\", "\ud83d"])
inline_text = st.lists(st.one_of(inline_piece, st.text(alphabet="`\\ \nab:", max_size=6)), max_size=20).map("".join)


@settings(max_examples=600, deadline=None)
@given(inline_text)
def test_mask_simple_matches_markdown_it(text):
    assert mask_simple(text) == markdown_it_masked(text)


@pytest.mark.parametrize("text", [
    "`a`", "``a`", "`a``", "``a ` b``", "`a` `b", "\\`a`", "a\\", "a\\\n  b", "`a\\`b`", "\\``a`", "```a``b```",
    "` `` `", "x ``` y ` z ``` w", "\\\\`a`",
])
def test_mask_simple_examples(text):
    assert mask_simple(text) == markdown_it_masked(text)
    assert len(mask_simple(text)) == len(text)


# ----------------------------------------------------------------- random documents

PIECES = [
    "Q: ", "A: ", "C: ", "O: ", "Q:", "A:", "?", "??", "::", ":::", " :: ", "{{c1::", "}}", "==", "==x==",
    "`", "``", "```", "`code`", "\\", "\\`", "$x$", "$\\alpha$", "# ", "## ", "###### ", "####### ", "#", " #",
    "   ", "    ", " ", "---", "===", "= =", "-", "*", "1. ", "> ", "<", "<b>", "[", "]", "[x]", "|", "~~~",
    "&amp;", "&", "!", "(in order)", "自编码模型", "注意力", "？", "\u3000", "\xa0", "\u2028", "\x0c", "\t",
    "term: def", "word", "two words", "...", "title: x", "mode: outline", "mode: headings",
]
chunk = st.one_of(st.sampled_from(PIECES), st.text(alphabet="abc :#`\\-=\n", max_size=6))
line = st.lists(chunk, max_size=6).map("".join)
document = st.lists(line, max_size=25).map("\n".join)
front = st.lists(st.sampled_from(["title: T", "id: x", "mode: outline", "mode: headings", "tags: [a]",
                                  "heading_level: 3", "---", "...", "  ---", "----", "-- "]), max_size=4)
with_front_matter = st.tuples(st.sampled_from(["---", "----", "---x", "--- "]), front,
                              st.sampled_from(["---", "...", "----", "--", "... ", "   ---", ""]), document
                              ).map(lambda t: "\n".join([t[0], *t[1], t[2], t[3]]))
# mostly-simple documents: blank-line separated cards and headings, so the fast path is taken often
simple_line = st.one_of(
    st.sampled_from(["", "", "# Title", "## Part", "### Sub ##", "#", "## ", "Q: question `a`", "A: answer",
                     "A:", "Q:", "?", "??", "x :: y", "a ::: b", "{{c1::x}} y", "C: [a] b", "text `c` d",
                     "O: steps", "   indented", "    lazy", "  # h", "\\# not", "#no", "what? ", "end\\",
                     "    - lazy item", "    > lazy quote", "    ```", "    ===", "    ---", "     # deep",
                     "   - item", "   1. item", "   ===", "a | b", "   |--|--|", "Q: a `b", "A: c` d",
                     "A: ", "Q:  two", " A: x", "A: x\\", "Q: \\`x", "A:: y", "Q: x ::: y"]),
    line,
)
simple_document = st.lists(simple_line, max_size=30).map("\n".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(document, with_front_matter, simple_document, simple_document))
def test_random_documents_same_on_both_paths(text):
    fast = assert_same(text, "fuzz.md")
    event("fast path" if fast else "markdown-it path")


# ------------------------------------------------------------- identity: normalise


def _normalise_by_regex(text: str) -> str:
    import unicodedata

    from studyllm.decks.identity import _NOT_WORD

    return _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60) | st.lists(st.sampled_from(
    ["a", "B", "_", " ", "\n", "\t", "\u3000", "\xa0", "ǅ", "ß", "ﬁ", "İ", "①", "²", "𝔸", "自编码", "，", "。", "≈",
     "·", "：", "é", "e\u0301", "😀", "$\\alpha$", "`x`", "\x1f", "\x85", "\u2028", "٣", "Ⅻ"]), max_size=20)
       .map("".join))
def test_normalise_matches_the_regex_definition(text):
    from studyllm.decks.identity import normalise

    assert normalise(text) == _normalise_by_regex(text)


def test_normalise_every_character():
    from studyllm.decks.identity import normalise

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for i in range(0, len(chars), 400):
        text = "a" + " x".join(chars[i:i + 400]) + "_b"
        assert normalise(text) == _normalise_by_regex(text)


def test_normalise_ascii_text():
    """ASCII text takes its own byte table (case folded in it): every pair of ASCII characters."""
    from studyllm.decks.identity import norm_text_hash, normalise, text_hash

    ascii_chars = [chr(c) for c in range(128)]
    for a in ascii_chars:
        text = "".join(a + b for b in ascii_chars) + a
        assert normalise(text) == _normalise_by_regex(text)
        assert norm_text_hash(text) == text_hash(_normalise_by_regex(text))


def test_fast_path_trims_with_markdown_its_whitespace_set():
    """``_fastpath`` spells out markdown-it-py's trim set (so the fast path never imports
    markdown-it); it must be the installed markdown-it-py's own."""
    from markdown_it.common.utils import MD_TRIM_CHARS

    from studyllm.decks import _fastpath

    assert _fastpath.MD_TRIM_CHARS == MD_TRIM_CHARS


def test_fast_path_deck_does_not_import_markdown_it():
    """A deck of headings and plain paragraphs is read without importing markdown-it (a
    fresh interpreter, so other tests' imports don't count)."""
    import subprocess
    import sys

    code = ("import sys\nfrom studyllm.decks.parser import parse_deck\n"
            "d = parse_deck('# T\\n\\nQ: one `code`?\\nA: two\\n\\nterm :: meaning\\n')\n"
            "assert len(d.cards) == 2, d\nprint('markdown_it' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_deep_container_shortcut_agrees_with_the_regex():
    from studyllm.decks.parser import _deep_container
    from studyllm.decks.rules._base import _DEEP_CONTAINER

    cases = ["plain\n", " " * 119 + "- x\n", " " * 120 + "- x\n", "\t" * 120 + "- x\n",
             "> " * 44 + "x\n", "> " * 45 + "x\n", ">" * 45 + "\n", "a -> b\n" * 50, " " * 200 + "text\n",
             "x\n" + " " * 60 + "\t" * 60 + "1. y\n"]
    for text in cases:
        assert bool(_deep_container(text)) == bool(_DEEP_CONTAINER.search(text)), repr(text[:40])


# ------------------------------------------------------------- dropping masked paragraphs behind the pass


def _parsed_keeping(monkeypatch, kept: int, text: str, path: str) -> list[tuple]:
    from studyllm.decks import parser as parser_module

    monkeypatch.setattr(parser_module, "_FRAGS_KEPT", kept)
    return [summary(parse_deck(text, path, outline=outline, _fast_path=fast))
            for outline in (False, True) for fast in (True, False)]


def _drop_agrees(monkeypatch, text: str, path: str = "deck.md") -> None:
    """Dropping every paragraph's masked text right after the block pass leaves it (so each
    later look-up reads it again) gives the same deck as keeping them all."""
    assert _parsed_keeping(monkeypatch, 0, text, path) == _parsed_keeping(monkeypatch, 10**9, text, path), text


@pytest.mark.parametrize("path", SHIPPED + FIXTURES, ids=lambda p: p.name)
def test_dropping_masked_text_changes_nothing_on_decks(monkeypatch, path):
    _drop_agrees(monkeypatch, path.read_bytes().decode("utf-8-sig"), str(path))


def test_dropping_masked_text_changes_nothing_on_the_parser_test_texts(monkeypatch):
    for text in TEST_TEXTS:
        _drop_agrees(monkeypatch, text)


def test_dropping_masked_text_keeps_the_markup_budget(monkeypatch):
    """A paragraph read again after its Frag was dropped is not charged to the file's budget
    twice: the same paragraphs are refused with and without dropping."""
    from studyllm.decks import _limits

    monkeypatch.setattr(_limits, "MAX_INLINE_STOPS_PER_FILE", 40)
    para = "Q: what is `a` and `b` and `c`?\nA: `d` and `e`"
    text = "\n\n".join([para] * 12 + ["term :: `x`", "Plain text with `code` here.", "Q: last?\nA: yes"])
    _drop_agrees(monkeypatch, text)
    deck = parse_deck(text)
    assert deck.skipped and len(deck.cards) < 14  # the budget bites in this deck


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.one_of(document, simple_document))
def test_dropping_masked_text_changes_nothing_on_random_documents(monkeypatch, text):
    _drop_agrees(monkeypatch, text, "fuzz.md")
