"""The grade bar: one "button" per grade, in SM-2 words or as Again/Hard/Good/Easy.

Drawn as a single line of Content in one widget rather than six Button widgets: the
study hot path redraws it on every reveal and grade, and one widget renders in a
fraction of the time six buttons and their container take (and each of its few states
is rendered once per width, then reused). Each label carries a click
action on the study screen (``screen.grade(g)`` or ``screen.button(k)``), so the mouse
works as before, and those actions are refused until the answer is shown. The labels
are the app's own words, never card text.
"""

from __future__ import annotations

from typing import Any

from textual.content import Content

from studyllm.ui.text import FOUR_BUTTONS, SM2_GRADES
from studyllm.ui.widgets.lines import ChangedLines

# one word per grade so six buttons fit in 80 columns (the tooltip and the key bar carry SM-2's words)
BUTTON_WORDS = {0: "blackout", 1: "wrong", 2: "nearly", 3: "hard", 4: "good", 5: "perfect"}
SM2_VARIANTS = {0: "error", 1: "error", 2: "warning", 3: "secondary", 4: "success", 5: "primary"}
FOUR_VARIANTS = {2: "error", 3: "warning", 4: "success", 5: "primary"}


def buttons(mode: str) -> list[tuple[str, int, str, str]]:
    """(label, SM-2 grade, click action, colour variable) for each button of ``mode``."""
    if mode == "four":
        return [(f"{key} {name}", grade, f"screen.button({key})", FOUR_VARIANTS[grade])
                for key, (name, grade) in FOUR_BUTTONS.items()]
    return [(f"{g} {BUTTON_WORDS[g]}", g, f"screen.grade({g})", SM2_VARIANTS[g]) for g in SM2_GRADES]


class GradeBar(ChangedLines):
    DEFAULT_CSS = """
    GradeBar {
        height: 1;
        width: 100%;
    }
    """

    def __init__(self, mode: str = "sm2", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mode = mode
        self.active = False  # answer shown: the buttons take clicks and are drawn in colour
        self.suggested: int | None = None  # SM-2 grade drawn highlighted
        self._tooltip_for_mode()

    def _tooltip_for_mode(self) -> None:
        if self.mode == "four":
            self.tooltip = "\n".join(f"{k} {name}: SM-2 grade {g}" for k, (name, g) in FOUR_BUTTONS.items())
        else:
            self.tooltip = "\n".join(f"{g}: {long}" for g, (_short, long) in SM2_GRADES.items())

    def set_state(self, *, mode: str | None = None, active: bool | None = None,
                  suggested: int | None | bool = False) -> None:
        """Change the mode, whether the buttons are live, or the suggested grade
        (``suggested=False`` leaves it); redraws only when something changed."""
        before = (self.mode, self.active, self.suggested)
        if mode is not None:
            self.mode = mode
        if active is not None:
            self.active = active
        if suggested is not False:
            self.suggested = suggested
        if (self.mode, self.active, self.suggested) != before:
            if self.mode != before[0]:
                self._tooltip_for_mode()
            self.redraw()

    def lines_key(self, width: int) -> tuple:
        return self.mode, self.active, self.suggested

    def lines_content(self, width: int) -> Content:
        width = max(1, width)
        parts: list[Content] = []
        items = buttons(self.mode)
        # share the width out like the old 1fr buttons did, each between 8 and 22 cells
        cell = max(8, min(22, (width - len(items) + 1) // len(items)))
        short = False
        if sum(max(cell, len(label)) for label, *_ in items) + len(items) - 1 > width:
            # compact, for a phone's 40-50 columns: narrower cells (still tap targets), and the keys
            # alone when a word would not fit (the key bar and the tooltip carry the words)
            cell = max(3, (width - len(items) + 1) // len(items))
            short = any(len(label) > cell for label, *_ in items)
        for label, grade, action, variant in items:
            text = (label.split()[0] if short else label).center(cell)
            if not self.active:
                style = "$foreground-disabled on $surface"
            elif grade == self.suggested:
                style = f"bold reverse $text on ${variant}"
            else:
                style = f"$text on ${variant}"
            parts.append(Content.from_markup(f"[{style} @click={action}]$label[/]", label=text))
        line = Content(" ").join(parts)
        return line.center(width) if line.cell_length < width else line
