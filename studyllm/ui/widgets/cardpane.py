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
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from rich.console import Group, RenderableType
from rich.markdown import Markdown as RichMarkdown
from rich.rule import Rule
from rich.text import Text

from studyllm.ui.text import clean
from studyllm.ui.widgets.lines import ChangedLines


class CardMarkdown(RichMarkdown):
    """Rich's Markdown renderable with one shared parser.

    Rich builds a new markdown-it parser for every Markdown object (half a millisecond,
    more than parsing a card), and the study screen makes one or two per key. This sets
    the same attributes Rich's ``__init__`` sets, with the same parser settings; a test
    checks that it draws exactly what Rich's own class draws.
    """

    _parser: MarkdownIt | None = None

    def __init__(self, markup: str) -> None:
        if CardMarkdown._parser is None:
            CardMarkdown._parser = MarkdownIt().enable("strikethrough").enable("table")
        self.markup = markup
        self.parsed = CardMarkdown._parser.parse(markup)
        self.code_theme = "ansi_dark"
        self.justify = None
        self.style = "none"
        self.hyperlinks = False
        self.inline_code_lexer = None
        self.inline_code_theme = "ansi_dark"


def markdown(source: str) -> RenderableType:
    """Card Markdown as a Rich renderable (no hyperlinks, no syntax lexers)."""
    return CardMarkdown(source)


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
        self.remember(_front_content(front), ("front", front))

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
        parts: list = [(("front", self.front), lambda: _front_content(self.front))]
        # Rich Text goes in a Group so it is drawn by Rich, as the Markdown is (a bare Text
        # would become Textual Content, whose colour names are CSS colours, not the
        # terminal's: "red" would not be the theme's red).
        blank = (None, lambda: Text(""))
        if self.extra is not None:
            parts += [blank, (None, lambda: Group(self.extra))]
        if self.feedback is not None:
            parts += [blank, (None, lambda: Group(self.feedback))]
        if self.revealed:
            color = self.app.theme_variables.get("primary", "blue")
            parts += [blank, (("rule", color), lambda: Rule(characters="╌", style=color)), blank]
            if self.back.strip():
                parts.append((None, lambda: markdown(self.back)))
        return parts


def _front_content(front: str) -> RenderableType:
    return markdown(front) if front.strip() else ""
