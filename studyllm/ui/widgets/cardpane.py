"""The whole card in one widget: the front, the per-kind extras (choices, the order to
check, the typed-answer verdict) and, once revealed, the back.

One widget on purpose, and one that repaints only the lines that changed
(:class:`~studyllm.ui.widgets.lines.ChangedLines`): revealing or moving to the next card
costs one render of the card and no layout pass anywhere else on the screen (see ``docs/performance.md``, "Study screen"). Front and back are
drawn with Rich's Markdown renderable; Textual's Markdown widget mounts a widget per
block, far too slow for a frame per key.

Card text is untrusted: control characters are removed first
(:func:`studyllm.ui.text.clean`), Markdown is never read as Textual markup, and links
are drawn as plain styled text (no terminal hyperlinks, nothing to click).
"""

from __future__ import annotations

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

    def __init__(self, markup: str) -> None:  # noqa: D107 - see the class docstring
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

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.front = ""  # cleaned Markdown source of the front
        self.back = ""  # cleaned Markdown source of the back ("" until revealed)
        self.revealed = False
        self.extra: Text | None = None  # choices or the items to order
        self.feedback: Text | None = None  # verdict on a choice, an order or a typed answer
        self._front_md: RenderableType | None = None

    # ------------------------------------------------------------------ state
    def show(self, front: str, extra: Text | None = None) -> None:
        """A new card: its front (Markdown) and optional extras, back hidden."""
        self.front = clean(front)
        self._front_md = markdown(self.front) if self.front.strip() else None
        self.back = ""
        self.revealed = False
        self.extra = extra
        self.feedback = None
        self._draw()

    def set_extra(self, extra: Text | None) -> None:
        self.extra = extra
        self._draw()

    def reveal(self, back: str, *, extra: Text | None = None, feedback: Text | None = None) -> None:
        """Show the back (Markdown), with the extras redrawn and a verdict if there is one."""
        self.back = clean(back)
        self.revealed = True
        if extra is not None:
            self.extra = extra
        self.feedback = feedback
        self._draw()

    # ------------------------------------------------------------------ drawing
    def _draw(self) -> None:
        parts: list[RenderableType] = []
        if self._front_md is not None:
            parts.append(self._front_md)
        if self.extra is not None:
            parts += [Text(""), self.extra]
        if self.feedback is not None:
            parts += [Text(""), self.feedback]
        if self.revealed:
            color = self.app.theme_variables.get("primary", "blue") if self.is_attached else "blue"
            parts += [Text(""), Rule(characters="╌", style=color), Text("")]
            if self.back.strip():
                parts.append(markdown(self.back))
        self.draw(Group(*parts) if parts else "")
