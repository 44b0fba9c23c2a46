"""The study screen's top lines: where the card comes from, the session tally, and a
progress bar of done against left today.

One fixed-height widget whose size never changes, in place of a Horizontal of two
Statics and Textual's ProgressBar, whose parts each re-rendered on every answer.
"""

from __future__ import annotations

from typing import Any

from textual.content import Content

from studyllm.ui.text import clean
from studyllm.ui.widgets.lines import ChangedLines


class SessionBar(ChangedLines):
    DEFAULT_CSS = """
    SessionBar {
        height: 2;
        width: 100%;
        padding: 0 1;
        background: $boost;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.context = ""  # the card's heading path, cut with … on screen when too long
        self.done = 0
        self.remaining: int | None = None  # None until counted

    @property
    def tally(self) -> str:
        if self.remaining is None:
            return f"{self.done} done"
        return f"{self.done} done · {self.remaining} left"

    def set(self, *, context: str | None = None, done: int | None = None, remaining: int | None = -1) -> None:
        """Change any of the three (``remaining=None``: not counted yet) and redraw."""
        if context is not None:
            self.context = clean(context)
        if done is not None:
            self.done = done
        if remaining != -1:
            self.remaining = remaining
        self.redraw()

    def lines_parts(self, width: int) -> list:
        # two parts: the top line changes with every answer; the bar only when a cell fills
        width = max(10, width)
        filled = None
        if self.remaining is not None:
            filled = min(width, round(width * self.done / max(1, self.done + self.remaining)))
        return [(None, lambda: self._top_line(width)), (("bar", filled), lambda: self._bar(width, filled))]

    def _top_line(self, width: int) -> Content:
        tally = Content.styled("  " + self.tally, "$foreground-muted")
        room = max(1, width - tally.cell_length)
        context = Content.styled(self.context, "bold $accent").truncate(room, ellipsis=True, pad=True)
        return context + tally

    @staticmethod
    def _bar(width: int, filled: int | None) -> Content:
        if filled is None:  # not counted yet
            return Content.styled("╌" * width, "$foreground-disabled")
        return Content.assemble(("━" * filled, "$accent"), ("━" * (width - filled), "$foreground-disabled"))
