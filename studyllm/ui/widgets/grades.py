"""The grade bar: one button per grade, in SM-2 words or as Again/Hard/Good/Easy.

Clicking posts :class:`GradeBar.Graded` with the SM-2 grade; the keys live on the
study screen as parameterised bindings.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button

from studyllm.ui.text import FOUR_BUTTONS, SM2_GRADES


# one word per grade so six buttons fit in 80 columns (the tooltips and the key bar carry SM-2's words)
BUTTON_WORDS = {0: "blackout", 1: "wrong", 2: "nearly", 3: "hard", 4: "good", 5: "perfect"}


class GradeButton(Button):
    def __init__(self, label: str, grade: int, **kwargs):
        super().__init__(label, **kwargs)
        self.grade = grade
        self.can_focus = False


class GradeBar(Horizontal):
    DEFAULT_CSS = """
    GradeBar {
        height: 1;
        width: 100%;
        align-horizontal: center;
    }
    GradeBar GradeButton {
        min-width: 8;
        width: 1fr;
        max-width: 22;
        margin: 0 1 0 0;
    }
    GradeBar GradeButton.suggested {
        text-style: bold reverse;
    }
    """

    class Graded(Message):
        def __init__(self, grade: int) -> None:
            super().__init__()
            self.grade = grade

    def __init__(self, mode: str = "sm2", **kwargs):
        super().__init__(**kwargs)
        self.mode = mode

    def compose(self) -> ComposeResult:
        yield from self._buttons()

    def _buttons(self) -> list[GradeButton]:
        if self.mode == "four":
            variants = {2: "error", 3: "warning", 4: "success", 5: "primary"}
            return [
                GradeButton(f"{key} {name}", grade, variant=variants[grade], id=f"grade-{grade}", compact=True)
                for key, (name, grade) in FOUR_BUTTONS.items()
            ]
        variants = {0: "error", 1: "error", 2: "warning", 3: "default", 4: "success", 5: "primary"}
        return [
            GradeButton(f"{g} {BUTTON_WORDS[g]}", g, variant=variants[g], id=f"grade-{g}", tooltip=long, compact=True)
            for g, (_short, long) in SM2_GRADES.items()
        ]

    def set_mode(self, mode: str) -> None:
        if mode == self.mode:
            return
        self.mode = mode
        self.remove_children()
        self.mount_all(self._buttons())

    def suggest(self, grade: int | None) -> None:
        for button in self.query(GradeButton):
            button.set_class(button.grade == grade, "suggested")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if isinstance(event.button, GradeButton):
            self.post_message(self.Graded(event.button.grade))
