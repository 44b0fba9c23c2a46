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
from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.rule import Rule
from rich.segment import Segment
from rich.text import Text

from studyllm.render.math import to_unicode
from studyllm.ui.text import clean
from studyllm.ui.widgets.lines import ChangedLines

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

__all__ = ["CardPane", "capped", "card_parser", "has_math", "is_plain", "markdown", "warm_markdown", "warm_math"]

# ------------------------------------------------------------------ plain card text
#
# Most card text is sentences, perhaps with `code` in single backticks, and nothing else
# Markdown gives a meaning to. Such text is drawn here, as :class:`PlainCard`, with what
# markdown-it-py and Rich's Markdown (:mod:`studyllm.ui.widgets.cardmd`, ~45 ms to import)
# would make of it: one paragraph per run of lines, each line break kept, code spans in
# ``markdown.code``. :func:`is_plain` says which text that is, conservatively: any line that
# could start a block (a heading, list, quote, fence, table, an indented or a setext line), any
# character that may open an inline construct outside a code span (emphasis, links, images,
# HTML, entities, escapes, math, strikethrough, Obsidian links), a code span of more than one
# backtick or over a line end, and whitespace markdown-it would trim or fold at a line's ends
# all send the text to the full renderer. ``tests/test_ui_plain_cards.py`` checks that both
# draw exactly the same for every plain text it tries.

# outside code spans: the characters that may open something (``!`` only opens an image
# before ``[``, ``>`` only a quote at a line's start, ``#`` a heading there)
_OPENS = frozenset("\\*_[]<&$~|")
# what no line may start with: lists, thematic breaks and setext lines (- * + _ =), quotes,
# tables (| :), link definitions ([), HTML (<), fences (~ and ```), headings (#), and
# indentation; ordered list items are refused by their pattern
_LINE_START = frozenset("-*+_=>|:[<~#`\t ")
_ORDERED = re.compile(r"[0-9]{1,9}[.)]")
# markdown-it trims paragraphs with CommonMark's whitespace set; none of it is allowed but the
# space between words (studyllm.decks._fastpath.MD_TRIM_CHARS, which a test keeps in step)
_ODD_SPACE = frozenset(chr(c) for c in (0x09, 0x0B, 0x0C, 0x0D, 0xA0, 0x1680, 0x202F, 0x205F, 0x3000, 0x2028,
                                        0x2029, *range(0x2000, 0x200B)))


def _plain_line(line: str) -> list[tuple[str, bool]] | None:
    """A line's runs, ``(text, is_code)``, or ``None`` when the line is not plain."""
    if line[0] in _LINE_START or line[-1] == " " or (line[0].isdigit() and _ORDERED.match(line)):
        return None
    if "`" not in line:
        if _OPENS.isdisjoint(line) and _ODD_SPACE.isdisjoint(line) and line.isprintable():
            return [(line, False)]
        return None
    parts = line.split("`")
    if len(parts) % 2 == 0:  # an odd number of backticks: one is left unmatched
        return None
    runs: list[tuple[str, bool]] = []
    for i, part in enumerate(parts):
        if i % 2:  # a code span: one backtick each side, not empty, no space at either end
            if not part or part[0] == " " or part[-1] == " ":
                return None
        elif not _OPENS.isdisjoint(part):
            return None
        if not _ODD_SPACE.isdisjoint(part) or not part.isprintable():
            return None
        if part:
            runs.append((part, bool(i % 2)))
    # a backtick right after a backtick is a run of two (``a``...), not an empty span: refused above
    return runs


def is_plain(source: str) -> bool:
    """Whether :class:`PlainCard` draws ``source`` (see above); else the full renderer does."""
    return _paragraphs(source) is not None


def _paragraphs(source: str) -> list[list[list[tuple[str, bool]]]] | None:
    paragraphs: list[list[list[tuple[str, bool]]]] = []
    current: list[list[tuple[str, bool]]] = []
    for line in source.split("\n"):
        if not line:
            if current:
                paragraphs.append(current)
                current = []
            continue
        runs = _plain_line(line)
        if runs is None:
            return None
        current.append(runs)
    if current:
        paragraphs.append(current)
    return paragraphs or None


class PlainCard:
    """Plain card text (:func:`is_plain`) drawn as Rich's Markdown draws it: per paragraph, a
    ``Text`` in ``markdown.paragraph`` (code spans in ``markdown.code`` on top), appended piece
    by piece as Rich appends markdown-it's tokens, left-justified, a blank line between
    paragraphs."""

    def __init__(self, paragraphs: list[list[list[tuple[str, bool]]]]) -> None:
        self.paragraphs = paragraphs

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        options = options.update(height=None)
        base = console.get_style("none", default="none")
        para = base + console.get_style("markdown.paragraph", default="none")
        code = para + console.get_style("markdown.code", default="none")
        for n, lines in enumerate(self.paragraphs):
            text = Text(justify="left")
            for i, runs in enumerate(lines):
                if i:
                    text.append("\n", para)
                for run, is_code in runs:
                    text.append(run, code if is_code else para)
            text.justify = "left"
            if n:
                yield Segment.line()
            yield from console.render(text, options)


def markdown(source: str, *, math: bool = True) -> RenderableType:
    """Card Markdown as a Rich renderable (no hyperlinks, no syntax lexers); ``math=False``
    shows formulas as typed. Plain text (:func:`is_plain`) is drawn without markdown-it."""
    paragraphs = _paragraphs(source)
    if paragraphs is not None:
        return PlainCard(paragraphs)
    from studyllm.ui.widgets.cardmd import CardMarkdown

    return CardMarkdown(source, math=math)


def warm_markdown() -> None:
    """Load the full renderer (markdown-it, Rich's Markdown) and build its parser ahead of the
    first card whose text needs it (~45 ms): the study screen calls it once its first card is drawn."""
    from studyllm.ui.widgets.cardmd import CardMarkdown

    CardMarkdown("")


def card_parser() -> MarkdownIt:
    """The Markdown reading of card text (:func:`studyllm.ui.widgets.cardmd.card_parser`)."""
    from studyllm.ui.widgets.cardmd import card_parser as parser

    return parser()


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
