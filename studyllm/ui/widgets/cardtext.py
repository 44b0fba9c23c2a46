"""Card text rendered as Markdown inside one Static.

Rich's Markdown renderable draws the whole card in one widget, where Textual's Markdown
widget mounts a widget per block: far cheaper on the study hot path (one content update
per card instead of a remount). Card text is untrusted: control characters are removed
first (:func:`studyllm.ui.text.clean`), Markdown is never read as Textual markup, and
links are drawn as plain styled text (no terminal hyperlinks, nothing to click).
"""

from __future__ import annotations

from rich.markdown import Markdown as RichMarkdown
from textual.widgets import Static

from studyllm.ui.text import clean


class CardText(Static):
    DEFAULT_CSS = """
    CardText {
        height: auto;
        width: 100%;
    }
    """

    def __init__(self, source: str = "", **kwargs):
        super().__init__("", markup=False, **kwargs)
        self.source = ""
        if source:
            self.show(source)

    def show(self, source: str) -> None:
        """Render ``source`` (Markdown). The cleaned text is kept in :attr:`source`."""
        self.source = clean(source)
        if not self.source.strip():
            self.update("")
            return
        self.update(RichMarkdown(self.source, hyperlinks=False, code_theme="ansi_dark", inline_code_lexer=None))
