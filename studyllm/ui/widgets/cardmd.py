"""Card Markdown through markdown-it-py and Rich's Markdown renderable: the parser card text
is read with (:func:`card_parser`) and :class:`CardMarkdown`. Imported by the card pane only
for text that uses Markdown (or HTML, math, Obsidian links): the two libraries take ~45 ms to
import, and text without any of that is drawn by :mod:`studyllm.ui.widgets.cardpane` itself,
exactly as this module would draw it (``tests/test_ui_plain_cards.py``)."""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from rich.markdown import Markdown as RichMarkdown

from studyllm.render.math import find_formula, to_unicode

_BR = re.compile(r"<br\s*/?>[ \t]*\n?", re.I)


def _br(state: Any, silent: bool) -> bool:
    """``<br>`` (``<br/>``, ``<br />``) as a line break; the newline after it is part of it."""
    if state.src[state.pos] != "<":
        return False
    m = _BR.match(state.src, state.pos)
    if m is None:
        return False
    if not silent:
        state.push("hardbreak", "br", 0)
    state.pos = m.end()
    return True


def _math(state: Any, silent: bool) -> bool:
    """``$…$`` (inline) and ``$$…$$`` (display) as one line of Unicode; the source as typed when
    it can't be converted (or while ``env["math"]`` is false). Which ``$`` open a formula:
    :func:`~studyllm.render.math.find_formula`; ``\\$`` is a dollar sign (the escape rule
    sees it first), and code is code (the code span rule takes it first)."""
    found = find_formula(state.src, state.pos, state.posMax)
    if found is None:
        return False
    body, stop = found
    if not silent:
        token = state.push("text", "", 0)
        shown = to_unicode(body) if state.env.get("math", True) else None
        token.content = shown if shown is not None else state.src[state.pos:stop]
    state.pos = stop
    return True


_WIKI = re.compile(r"(!?)\[\[([^\[\]\n|]+)(?:\|([^\[\]\n]*))?\]\]")
_IMAGE_EXT = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".avif")


def _wiki(state: Any, silent: bool) -> bool:
    """Obsidian's ``[[note|alias]]`` as the alias, ``[[note#Part]]`` as "note > Part", and an
    embed ``![[file]]`` as ``[image: file]`` (other files ``[embed: file]``)."""
    src, pos = state.src, state.pos
    if src[pos] not in "![" or "[[" not in src[pos:pos + 3]:
        return False
    m = _WIKI.match(src, pos)
    if m is None or m.end() > state.posMax:
        return False
    if not silent:
        bang, target, alias = m.group(1), m.group(2).strip(), (m.group(3) or "").strip()
        if bang:
            kind = "image" if target.lower().endswith(_IMAGE_EXT) else "embed"
            text = f"[{kind}: {target}]"
        else:
            text = alias or " > ".join(p.strip() for p in target.split("#") if p.strip()) or target
        token = state.push("text", "", 0)
        token.content = text
    state.pos = m.end()
    return True


def card_parser() -> MarkdownIt:
    """The Markdown reading of card text, as Obsidian and Anki show it: a single newline
    inside a paragraph is a line break; ``<br>`` is a line break; any other HTML is shown
    as typed (``<Esc>``, ``<C-v>``), never dropped; tables and ~~strike~~ on; math as
    Unicode and Obsidian links as their text (see the module's docstring)."""
    md = MarkdownIt("commonmark", {"breaks": True, "html": False}).enable("strikethrough").enable("table")
    md.inline.ruler.before("html_inline", "studyllm_br", _br)
    md.inline.ruler.before("escape", "studyllm_math", _math)
    md.inline.ruler.before("link", "studyllm_wiki", _wiki)
    md.core.ruler.push("studyllm_breaks", _soft_to_hard)
    return md


def _soft_to_hard(state: Any) -> None:
    """Every soft line break becomes a hard one (Rich draws a soft break as a space)."""
    for tok in state.tokens:
        if tok.type == "inline" and tok.children:
            for child in tok.children:
                if child.type == "softbreak":
                    child.type = "hardbreak"


class CardMarkdown(RichMarkdown):
    """Rich's Markdown renderable with one shared parser.

    Rich builds a new markdown-it parser for every Markdown object (half a millisecond,
    more than parsing a card), and the study screen makes one or two per key. This sets
    the same attributes Rich's ``__init__`` sets; the parser is :func:`card_parser`
    (line breaks kept, HTML shown as text). A test checks that it draws exactly what
    Rich's own class draws for text without line breaks or HTML.
    """

    _parser: MarkdownIt | None = None

    def __init__(self, markup: str, *, math: bool = True) -> None:
        if CardMarkdown._parser is None:
            CardMarkdown._parser = card_parser()
        self.markup = markup
        self.parsed = CardMarkdown._parser.parse(markup, {"math": math})
        self.code_theme = "ansi_dark"
        self.justify = None
        self.style = "none"
        self.hyperlinks = False
        self.inline_code_lexer = None
        self.inline_code_theme = "ansi_dark"
