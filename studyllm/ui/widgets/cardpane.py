"""The whole card in one widget: the front, the per-kind extras (choices, the order to
check, the typed-answer verdict) and, once revealed, the back.

One widget on purpose, and one that repaints only the lines that changed
(:class:`~studyllm.ui.widgets.lines.ChangedLines`): revealing or moving to the next card
costs one render of the card and no layout pass anywhere else on the screen (see
``docs/performance.md``, "Study screen"). Front and back are drawn with Rich's Markdown
renderable; Textual's Markdown widget mounts a widget per block, far too slow for a frame
per key.

Card text is untrusted: control characters are removed first
(:func:`studyllm.ui.text.clean`), Markdown is never read as Textual markup, and links
are drawn as plain styled text (no terminal hyperlinks, nothing to click).

Math in ``$…$`` and ``$$…$$`` is drawn as one line of Unicode
(:func:`studyllm.render.math.to_unicode`), or as typed when it can't be converted; the
pane can show every formula's source instead (the study screen's ``m`` key). Obsidian
links left in a card's text show their alias (``[[note|alias]]``) or the note's name, and
embeds (``![[diagram.png]]``) a placeholder, ``[image: diagram.png]``.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from rich.console import Group, RenderableType
from rich.markdown import Markdown as RichMarkdown
from rich.rule import Rule
from rich.text import Text

from studyllm.render.math import find_formula, to_unicode
from studyllm.ui.text import clean
from studyllm.ui.widgets.lines import ChangedLines

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


def markdown(source: str, *, math: bool = True) -> RenderableType:
    """Card Markdown as a Rich renderable (no hyperlinks, no syntax lexers); ``math=False``
    shows formulas as typed."""
    return CardMarkdown(source, math=math)


def has_math(text: str) -> bool:
    """Whether a card's text may hold a formula (the ``m`` key then shows its source)."""
    return "$" in text


def warm_math() -> None:
    """Load the math converter ahead of the card that needs it (its first formula imports pylatexenc)."""
    to_unicode("x")


class CardPane(ChangedLines):
    DEFAULT_CSS = """
    CardPane {
        height: auto;
        min-height: 1fr;
        width: 100%;
        background: transparent;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.front = ""  # cleaned Markdown source of the front
        self.back = ""  # cleaned Markdown source of the back ("" until revealed)
        self.revealed = False
        self.extra: Text | None = None  # choices or the items to order
        self.feedback: Text | None = None  # verdict on a choice, an order or a typed answer
        self.math = True  # formulas as Unicode; False: as typed

    # ------------------------------------------------------------------ state
    def show(self, front: str, extra: Text | None = None) -> None:
        """A new card: its front (Markdown) and optional extras, back hidden."""
        self.front = clean(front)
        self.back = ""
        self.revealed = False
        self.extra = extra
        self.feedback = None
        self.redraw()

    def prerender(self, front: str) -> None:
        """Draw a card's front ahead of time: the study screen calls this with the card
        that will most likely come next while the learner reads the answer, so showing it
        costs no Markdown parse or render in the frame that follows the grade key."""
        front = clean(front)
        self.remember(_front_content(front, self.math), ("front", front, self.math))

    def show_math(self, as_unicode: bool) -> None:
        """Formulas as Unicode (True) or as their LaTeX source (False)."""
        if as_unicode != self.math:
            self.math = as_unicode
            self.redraw()

    def set_extra(self, extra: Text | None) -> None:
        self.extra = extra
        self.redraw()

    def reveal(self, back: str, *, extra: Text | None = None, feedback: Text | None = None) -> None:
        """Show the back (Markdown), with the extras redrawn and a verdict if there is one."""
        self.back = clean(back)
        self.revealed = True
        if extra is not None:
            self.extra = extra
        self.feedback = feedback
        self.redraw()

    # ------------------------------------------------------------------ drawing
    def lines_parts(self, width: int) -> list:
        # The front is one part, memoised by its text: drawn the same way every time, it
        # may have been drawn ahead (prerender) and stays drawn when the back is revealed.
        math = self.math
        parts: list = [(("front", self.front, math), lambda: _front_content(self.front, math))]
        # Rich Text goes in a Group so it is drawn by Rich, as the Markdown is (a bare Text
        # would become Textual Content, whose colour names are CSS colours, not the
        # terminal's: "red" would not be the theme's red).
        blank = (None, lambda: Text(""))
        if self.extra is not None:
            parts += [blank, (None, lambda: Group(self.extra))]
        if self.feedback is not None:
            parts += [blank, (None, lambda: Group(self.feedback))]
        # the rule sets the back off the front; with no back (a multiple-choice card's verdict
        # is all there is) it would stand over an empty line at the bottom of the card
        if self.revealed and (self.back.strip() or self.feedback is None):
            color = self.app.theme_variables.get("primary", "blue")
            parts += [blank, (("rule", color), lambda: Rule(characters="╌", style=color)), blank]
            if self.back.strip():
                parts.append((None, lambda: _side(self.back, math)))
        return parts


# What one side of a card may put on screen. Drawing Markdown costs about 10 µs a character
# (a 100 kB table took over a second, and a 0.9 MB one froze the screen for 17 s, issue #17),
# so a longer side is cut at a line boundary and says so; the whole text stays in the deck.
DRAW_CHARS = 12_000
DRAW_LINES = 400


def capped(source: str) -> tuple[str, int]:
    """``source`` cut to what is drawn (at most DRAW_CHARS characters and DRAW_LINES lines, at
    a line boundary), and how many of its lines were left out (0: all of it is drawn)."""
    if len(source) <= DRAW_CHARS and source.count("\n") < DRAW_LINES:
        return source, 0
    head = source[:DRAW_CHARS]
    cut = head.rfind("\n")
    head = head[:cut] if cut > 0 else head
    lines = head.split("\n")[:DRAW_LINES]
    head = "\n".join(lines)
    return head, source.count("\n") + 1 - len(lines)


def _side(source: str, math: bool) -> RenderableType:
    shown, left_out = capped(source)
    body = markdown(shown, math=math)
    if not left_out:
        return body
    note = Text(f"… {left_out:,} more line{'s' if left_out != 1 else ''} not drawn (too long for the screen; "
                "e opens the deck file)", style="dim italic")
    return Group(body, Text(""), note)


def _front_content(front: str, math: bool = True) -> RenderableType:
    return _side(front, math) if front.strip() else ""
