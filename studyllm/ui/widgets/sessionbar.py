"""The study screen's top lines: where the card comes from, the session tally, and a
progress bar of done against left today.

One fixed-height widget whose size never changes, in place of a Horizontal of two
Statics and Textual's ProgressBar, whose parts each re-rendered on every answer.
"""

from __future__ import annotations

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

    def __init__(self, **kwargs):
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

    def lines_key(self, width: int) -> None:
        return None  # changes with every answer

    def lines_content(self, width: int) -> Content:
        width = max(10, width)
        tally = Content.styled("  " + self.tally, "$foreground-muted")
        room = max(1, width - tally.cell_length)
        context = Content.styled(self.context, "bold $accent").truncate(room, ellipsis=True, pad=True)
        if self.remaining is None:
            bar = Content.styled("╌" * width, "$foreground-disabled")
        else:
            total = max(1, self.done + self.remaining)
            filled = min(width, round(width * self.done / total))
            bar = Content.assemble(("━" * filled, "$accent"), ("━" * (width - filled), "$foreground-disabled"))
        return Content("\n").join([context + tally, bar])
