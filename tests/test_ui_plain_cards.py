"""Plain card text is drawn without markdown-it (``cardpane.PlainCard``, issue #23), and drawn
exactly as the full renderer (markdown-it-py and Rich's Markdown, ``cardmd.CardMarkdown``)
draws it: same Text, same segments, at every width, for every text ``is_plain`` accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.markdown import Markdown as RichMarkdown

from studyllm.decks._fastpath import MD_TRIM_CHARS
from studyllm.ui.widgets import cardpane
from studyllm.ui.widgets.cardmd import CardMarkdown
from studyllm.ui.widgets.cardpane import PlainCard, is_plain, markdown

ROOT = Path(__file__).resolve().parent.parent


def _segments(renderable, width: int) -> list:
    console = Console(width=width, force_terminal=True, color_system="truecolor", legacy_windows=False)
    return [list(line) for line in console.render_lines(renderable, console.options, pad=False)]


def _same(text: str) -> None:
    assert is_plain(text), text
    fast = markdown(text)
    assert isinstance(fast, PlainCard)
    full = CardMarkdown(text)
    for width in (12, 37, 80):
        assert _segments(fast, width) == _segments(full, width), (text, width)


PLAIN = [
    "What is attention?",
    "Why does quantization matter for fine-tuning? Think about `β1 = 0.9, β2 = 0.95`.",
    "Two lines\nkept as two",
    "One paragraph.\n\nAnother, after a blank line.\n\n\nAnd a third.",
    "Code `a * b_c [x](y) <br> &amp; $x$ ~~s~~ \\n` is code, and `2 · n_layers` too",
    "注意力 is attention, 模型 a model: 100% sure! #1 > #2, a=b+c-d",
    "1990s research (not a list), 10 items",
    "Ends with code `x`",
    "\nleading and trailing blank lines\n",
]

NOT_PLAIN = [
    "", "\n\n", "# Heading", "- item", "* item", "+ item", "1. first", "2) second", "> quote", "    indented",
    "trailing space ", " leading space", "*emphasis*", "_under_", "a [link](x)", "![[embed.png]]", "[[note]]",
    "<br>", "a <b> tag", "&amp;", "$x^2$", "~~strike~~", "a | b", "back\\slash", "``double``", "` spaced `",
    "unmatched `tick", "```\nfence\n```", "Title\n=====", "Title\n---", "tab\there", "nbsp\u00a0here",
    "ideographic\u3000space", "`", ":colon first", "`code` first",
]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_is_drawn_as_the_full_renderer_draws_it(text):
    _same(text)


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_anything_markdown_may_read_otherwise_takes_the_full_renderer(text):
    assert not is_plain(text)
    assert isinstance(markdown(text), CardMarkdown)


def test_the_full_renderer_still_draws_what_rich_draws():
    text = "Plain words with `code`"
    assert _segments(CardMarkdown(text), 40) == _segments(RichMarkdown(text, code_theme="ansi_dark",
                                                                      hyperlinks=False), 40)


def test_the_odd_spaces_are_markdown_its_trim_set_but_the_space():
    assert cardpane._ODD_SPACE == frozenset(MD_TRIM_CHARS) - {" ", "\n"}


_ALPHABET = st.sampled_from(list("ab cd`\n\n*_[]<>&$~|#=+-:!\\1.)\u00a0") + ["β", "注", "  ", "``", "1. ", "\t"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.lists(_ALPHABET, min_size=1, max_size=30).map("".join))
def test_every_text_taken_as_plain_draws_the_same(text):
    if is_plain(text):
        _same(text)
    else:
        assert isinstance(markdown(text), CardMarkdown)


_WORDS = st.sampled_from(["word", "two words", "a, b.", "why?", "100%", "β1", "注意力", "(x)", "a=b", "#3"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.one_of(_WORDS, _WORDS.map(lambda w: f"`{w}`")), min_size=1, max_size=6)
                .map(" ".join), min_size=1, max_size=5),
       st.sampled_from(["\n", "\n\n"]))
def test_sentences_with_code_spans_are_plain_and_draw_the_same(lines, sep):
    text = sep.join(lines)
    if lines[0].startswith("`") or any(line.startswith(("`", "#")) for line in lines):
        return  # a line starting with a backtick (or a heading mark) is left to the full renderer
    _same(text)


def _card_sides() -> list[str]:
    from studyllm.decks.parser import parse_file

    sides = []
    for path in sorted((ROOT / "decks").glob("*.md")):
        deck = parse_file(path)
        for card in deck.cards:
            sides += [card.front, card.back]
    return sides


def test_the_shipped_decks_cards_draw_the_same_on_either_path():
    sides = _card_sides()
    plain = [s for s in sides if s and is_plain(s)]
    assert plain  # many cards are plain text
    for side in plain:
        _same(side)


def test_the_card_pane_imports_no_markdown_it_until_a_card_needs_it():
    code = (
        "import sys\n"
        "from rich.console import Console\n"
        "from studyllm.ui.widgets.cardpane import markdown\n"
        "Console(width=40, file=open('/dev/null', 'w')).print(markdown('Plain, with `code`'))\n"
        "print('markdown_it' in sys.modules, 'rich.markdown' in sys.modules)\n"
        "Console(width=40, file=open('/dev/null', 'w')).print(markdown('*not* plain'))\n"
        "print('markdown_it' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "True"]
