"""The grade bar: one "button" per grade, in SM-2 words or as Again/Hard/Good/Easy.

Drawn as a single line of Content in one widget rather than six Button widgets: the
study hot path redraws it on every reveal and grade, and one widget renders in a
fraction of the time six buttons and their container take (and each of its few states
is rendered once per width, then reused). Each label carries a click
action on the study screen (``screen.grade(g)`` or ``screen.button(k)``), so the mouse
works as before, and those actions are refused until the answer is shown. The labels
are the app's own words, never card text.

Once the answer is shown, each label also says what that grade would do, in Anki's style
("4 good · 6d", "2 nearly · 10m" for a repeat later today): :meth:`GradeBar.set_state` takes
the scheduler's preview as ``{grade: interval text}``. Before the next answer is shown, the
bar says when the card just graded comes back ("↳ back in 6d"), after the study screen's hint
of what to do with the card on screen (``hint``: "Recall the answer, then press Space").
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from textual.content import Content

from studyllm.ui.text import FOUR_BUTTONS, SM2_GRADES
from studyllm.ui.widgets.lines import ChangedLines

# one word per grade so six buttons fit in 80 columns (the tooltip and the key bar carry SM-2's words)
BUTTON_WORDS = {0: "blackout", 1: "wrong", 2: "nearly", 3: "hard", 4: "good", 5: "perfect"}
SM2_VARIANTS = {0: "error", 1: "error", 2: "warning", 3: "secondary", 4: "success", 5: "primary"}
FOUR_VARIANTS = {2: "error", 3: "warning", 4: "success", 5: "primary"}


def short_interval(text: str) -> str:
    """An interval of :func:`interval_text` without its decimal ("3.1mo" -> "3mo", "1.3y" -> "1y"),
    for a bar too narrow for the full form (FSRS's months-long intervals at 80 columns)."""
    m = re.fullmatch(r"(\d+)\.(\d)(mo|y|h)", text)
    if not m:
        return text
    whole = int(m.group(1)) + (1 if int(m.group(2)) >= 5 else 0)
    return f"{whole}{m.group(3)}"


def interval_text(due_day: date, today: date, minutes: int | None = None) -> str:
    """A next interval as Anki writes it on its buttons: "10m" (later today), "1d", "3.5mo", "1.2y"."""
    if minutes is not None:
        return f"{minutes}m" if minutes < 60 else f"{minutes / 60:.3g}h"
    days = (due_day - today).days
    if days < 1:
        return "today"
    if days < 30:
        return f"{days}d"
    if days < 365:
        return f"{days / 30:.1f}".removesuffix(".0") + "mo"
    return f"{days / 365:.1f}".removesuffix(".0") + "y"


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
        self.intervals: dict[int, str] = {}  # SM-2 grade -> what it would do ("6d"), while active
        self.back: str | None = None  # when the card graded last comes back ("6d"), while inactive
        self.hint: str | None = None  # what to do before the answer shows, while inactive
        self._tooltip_for_mode()

    def _tooltip_for_mode(self) -> None:
        if self.mode == "four":
            self.tooltip = "\n".join(f"{k} {name}: SM-2 grade {g}" for k, (name, g) in FOUR_BUTTONS.items())
        else:
            self.tooltip = "\n".join(f"{g}: {long}" for g, (_short, long) in SM2_GRADES.items())

    def set_state(self, *, mode: str | None = None, active: bool | None = None,
                  suggested: int | None | bool = False, intervals: dict[int, str] | None = None,
                  back: str | None | bool = False, hint: str | None | bool = False) -> None:
        """Change the mode, whether the buttons are live, the suggested grade
        (``suggested=False`` leaves it), the next interval of each grade, or the line saying
        when the last graded card comes back (``back=False`` leaves it); redraws only when
        something changed."""
        before = self.lines_key(0)
        if mode is not None:
            self.mode = mode
        if active is not None:
            self.active = active
        if suggested is not False:
            self.suggested = suggested
        if intervals is not None:
            self.intervals = intervals
        if back is not False:
            self.back = back if isinstance(back, str) else None
        if hint is not False:
            self.hint = hint if isinstance(hint, str) else None
        if self.lines_key(0) != before:
            if self.mode != before[0]:
                self._tooltip_for_mode()
            self.redraw()

    def lines_key(self, width: int) -> tuple:
        return (self.mode, self.active, self.suggested, tuple(sorted(self.intervals.items())), self.back,
                None if self.active else self.hint)

    def _labels(self, width: int) -> tuple[list[str], int]:
        """The button labels that fit ``width``, and the cell width: the fullest form that fits of
        "4 good · 6d", "4 good·6d", "4 good·3mo" (no decimal), "4 good"; on a narrow (phone) width "4·6d", else "4"."""
        items = buttons(self.mode)
        n = len(items)
        shown = self.active and self.intervals
        forms: list[list[str]] = []
        if shown:
            ivs = [self.intervals.get(grade, "") for _label, grade, *_ in items]
            forms += [[f"{label} · {iv}" for (label, *_), iv in zip(items, ivs, strict=True)],
                      [f"{label}·{iv}" for (label, *_), iv in zip(items, ivs, strict=True)],
                      [f"{label}·{short_interval(iv)}" for (label, *_), iv in zip(items, ivs, strict=True)]]
        forms.append([label for label, *_ in items])
        # share the width out like the old 1fr buttons did, each between 8 and 22 cells
        cell = max(8, min(22, (width - n + 1) // n))
        # each form in even cells first; a form with intervals then also in cells of its own width
        # (then the intervals without their decimal, "3mo", before giving the intervals up)
        tries = [(forms[0], cell), (forms[1], cell), (forms[1], 0), (forms[2], cell), (forms[2], 0)] if shown else []
        tries.append((forms[-1], cell))
        for labels, size in tries:
            if sum(max(size, len(label)) for label in labels) + n - 1 <= width:
                return [label.center(max(size, len(label))) for label in labels], size
        # compact, for a phone's 40-50 columns: narrower cells (still tap targets), the key and the
        # interval, else the keys alone (the key bar and the tooltip carry the words)
        cell = max(3, (width - n + 1) // n)
        keys = [label.split()[0] for label, *_ in items]
        if shown:
            with_iv = [f"{k}·{self.intervals.get(grade, '')}" for k, (_l, grade, *_r) in zip(keys, items, strict=True)]
            if all(len(label) <= cell for label in with_iv):
                return [label.center(cell) for label in with_iv], cell
        full = [label for label, *_ in items]
        if all(len(label) <= cell for label in full):
            return [label.center(cell) for label in full], cell
        return [k.center(cell) for k in keys], cell

    def lines_content(self, width: int) -> Content:
        width = max(1, width)
        if not self.active and self.hint:  # what to do now, then when the last card comes back if it fits
            return self._hint_line(width)
        if not self.active and self.back:  # between cards: when the one just graded comes back
            text = f"↳ that card comes back in {self.back}" if width >= 32 else f"↳ back in {self.back}"
            line = Content.styled(text[:width], "$text-muted")
            return line.center(width) if line.cell_length < width else line
        parts: list[Content] = []
        items = buttons(self.mode)
        labels, _cell = self._labels(width)
        for text, (_label, grade, action, variant) in zip(labels, items, strict=True):
            if not self.active:
                style = "$foreground-disabled on $surface"
            elif grade == self.suggested:  # in full colour; the others toned down
                style = f"bold auto 100% on ${variant}"
            else:  # "auto": dark or light text, whichever reads on the colour (light themes too)
                style = f"auto 90% on ${variant} 65%"
            parts.append(Content.from_markup(f"[{style} @click={action}]$label[/]", label=text))
        line = Content(" ").join(parts)
        return line.center(width) if line.cell_length < width else line

    def _hint_line(self, width: int) -> Content:
        hint = Content.styled(self.hint or "", "$text-muted")
        if self.back:
            for text in (f"↳ that card comes back in {self.back}", f"↳ back in {self.back}"):
                if hint.cell_length + 3 + len(text) <= width - 2:  # a margin either side, as a centred line
                    hint = hint + Content.styled(" · ", "$foreground-disabled") + Content.styled(text, "$text-muted")
                    break
        hint = hint.truncate(width, ellipsis=True)
        return hint.center(width) if hint.cell_length < width else hint
