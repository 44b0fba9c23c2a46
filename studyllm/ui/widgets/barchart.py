"""A bar chart drawn with block characters, one bar per value (or per run of values when they
don't fit), sized to its widget.

It replaces plotext for the Stats screen's charts: plotext placed ticks and bars by its own
reckoning and drew bars where the data had none (two at −29 days on a 30-day chart). Here a
value of 0 draws nothing, any value above 0 draws at least one eighth of a row, and a bar's
height is its value over the chart's top, in eighths of a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

__all__ = ["BarChart", "Chart", "chart", "layout"]

EIGHTHS = " ▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Chart:
    rows: list[str]  # the plot area, top row first, without the axis
    per_bar: int  # how many values each bar sums
    bars: list[int]  # the summed values, one per bar
    top: int  # the value of a full-height bar
    spans: list[tuple[int, int]]  # each bar's columns, [start, end)


def layout(nb: int, width: int) -> list[tuple[int, int]]:
    """The columns of ``nb`` bars spread over ``width`` columns, first bar at the left edge and
    last at the right. With room for a gap after every bar, all bars are one width and the
    columns left over widen the gaps evenly; without it, the bars touch and the left-over columns
    widen some of them by one."""
    if nb <= 0:
        return []
    if 2 * nb - 1 <= width:
        bar_w = (width + 1) // nb - 1
        if nb == 1:
            return [(0, bar_w)]
        starts = [(i * (width - bar_w) + (nb - 1) // 2) // (nb - 1) for i in range(nb)]
        return [(s, s + bar_w) for s in starts]
    return [(i * width // nb, (i + 1) * width // nb) for i in range(nb)]


def chart(values: Sequence[int], width: int, height: int) -> Chart:
    """Bars for ``values`` in a ``width`` × ``height`` area, spanning the whole width (30 bars at
    110 columns had left 20 columns empty on the right). When there are more values than
    columns, runs of ``per_bar`` consecutive values are summed, the last run ending on the last
    value."""
    width, height = max(1, width), max(1, height)
    n = len(values)
    per_bar = max(1, -(-n // width)) if n else 1
    bars: list[int] = []
    end = n
    while end > 0:  # runs end on the last value (today), so the newest bar is never partial
        bars.append(sum(values[max(0, end - per_bar):end]))
        end -= per_bar
    bars.reverse()
    top = max(bars, default=0)
    spans = layout(len(bars), width)
    rows = [[" "] * width for _ in range(height)]
    for (start, stop), v in zip(spans, bars, strict=True):
        if v <= 0 or top <= 0:
            continue
        eighths = max(1, round(v * height * 8 / top))
        for r in range(height):
            level = min(8, eighths - 8 * r)
            if level <= 0:
                break
            row = rows[height - 1 - r]
            for c in range(start, stop):
                row[c] = EIGHTHS[level]
    return Chart(["".join(r) for r in rows], per_bar, bars, top, spans)


class BarChart(Static):
    """A chart of ``values`` with a y axis (0 and the top) and first/last x labels; redrawn to
    its size. ``x_labels(first, last, per_bar)`` gives the labels under the first and last bar."""

    DEFAULT_CSS = """
    BarChart { height: 12; }
    """

    def __init__(self, *, id: str | None = None, colour: str = "") -> None:
        super().__init__(id=id, markup=False)
        self.values: list[int] = []
        self.labels: tuple[str, str] = ("", "")
        self.unit = "day"
        self.title = ""
        self.colour = colour
        self.last: Chart | None = None

    def plot(self, values: Sequence[int], labels: tuple[str, str], *, title: str = "", unit: str = "day",
             colour: str = "") -> None:
        """Draw ``values``; ``title`` becomes the border title, with "each bar N days" added when
        runs of values are summed to fit."""
        self.values, self.labels, self.unit, self.title = list(values), labels, unit, title
        if colour:
            self.colour = colour
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        width, height = self.content_size.width, self.content_size.height
        if width <= 0 or height <= 0:
            return
        plot_h = max(1, height - 1)
        axis_w = len(str(max(self.values, default=0))) + 1
        c = chart(self.values, width - axis_w - 1, plot_h)
        if len(str(c.top)) + 1 > axis_w:  # summed runs made the top wider than a single value
            axis_w = len(str(c.top)) + 1
            c = chart(self.values, width - axis_w - 1, plot_h)
        text = Text()
        for r, row in enumerate(c.rows):
            label = str(c.top) if r == 0 and c.top else ("0" if r == plot_h - 1 else "")
            text.append(f"{label:>{axis_w - 1}} ▕", style="dim")
            text.append(row, style=self.colour or None)
            text.append("\n")
        first, last = self.labels
        span = len(c.rows[0]) if c.rows else 0
        left = " " * (axis_w + 1) + first
        text.append(left + " " * max(1, axis_w + 1 + span - len(left) - len(last)) + last, style="dim")
        self.last = c
        if self.title:
            self.border_title = self.title + (f" · each bar {c.per_bar} {self.unit}s" if c.per_bar > 1 else "")
        self.update(text)
