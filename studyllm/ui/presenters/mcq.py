"""Multiple choice: number keys pick; with more than one right choice, "choose all that apply"."""

from __future__ import annotations

import random
from typing import Any

from rich.text import Text
from textual.binding import Binding

from studyllm.store.service import CardView
from studyllm.ui.presenters.base import Presenter, Revealed, is_raw_list, review_seed
from studyllm.ui.text import plural


class ChoicePresenter(Presenter):
    kind = "mcq"
    KEYS = [Binding("1", "kind('choose', 1)", "Choose", key_display="1-9"),
            *(Binding(str(n), f"kind('choose', {n})", f"Choose {n}", show=False) for n in range(2, 10))]
    prerenderable = False  # the choices are shuffled per review

    def __init__(self, card: CardView) -> None:
        super().__init__(card)
        self.choices: list[dict[str, Any]] = [c for c in card.extra.get("choices") or [] if isinstance(c, dict)]
        self.chosen: set[int] = set()  # the choices picked (indices into self.choices)
        order = list(range(len(self.choices)))
        random.Random(review_seed(card)).shuffle(order)  # on every review, so positions aren't learnt
        self.choice_order = order  # position on screen -> index into self.choices

    @property
    def right(self) -> set[int]:
        return {i for i, c in enumerate(self.choices) if c.get("correct")}

    @property
    def multi_answer(self) -> bool:
        """More than one right choice: the card is "choose all that apply"."""
        return len(self.right) > 1

    def allows(self, name: str, argument: Any) -> bool:
        return name == "choose" and int(str(argument)) <= len(self.choices)

    def act(self, name: str, argument: Any) -> bool:
        """Number keys pick the choice shown at that position: one choice replaces the last on a
        single-answer card; on a "choose all that apply" card each key toggles its choice."""
        n = int(str(argument))
        if name != "choose" or not 1 <= n <= len(self.choice_order):
            return False
        index = self.choice_order[n - 1]
        if not self.multi_answer:
            self.chosen = {index}
        elif index in self.chosen:
            self.chosen.discard(index)
        else:
            self.chosen.add(index)
        return True

    def hint(self) -> str:
        n = len(self.choices)
        picked = sorted(self.choice_order.index(i) + 1 for i in self.chosen)
        chosen = f"chosen: {', '.join(map(str, picked))}" if picked else "nothing chosen yet"
        if self.multi_answer:
            return f"1–{n} toggle a choice ({chosen}), then Space to check"
        return f"Press 1–{n} to choose ({chosen}), then Space to check"

    def extra(self) -> Text:
        text = Text()
        if self.multi_answer:
            text.append(f"Choose all that apply ({len(self.right)} are right):\n", style="italic")
        for pos, i in enumerate(self.choice_order):
            choice = self.choices[i]
            picked = i in self.chosen
            box = ("[x] " if picked else "[ ] ") if self.multi_answer else ""
            line = Text(f" {pos + 1}. {box}", style="bold")
            line.append(self.shown(choice.get("text", "")))
            if self.revealed:
                if choice.get("correct") and picked:
                    line.append("  ✓ right", style="bold green")
                    line.stylize("green")
                elif choice.get("correct"):
                    line.append("  ✓ right, missed", style="bold yellow")
                    line.stylize("yellow")
                elif picked:
                    line.append("  ✗ wrong choice", style="bold red")
                    line.stylize("red")
            elif picked:
                line.stylize("reverse")
                line.append("  ◀")
            if pos:
                text.append("\n")
            text.append(line)
        return text

    def reveal(self, back: str) -> Revealed:
        self.revealed = True
        right = self.right
        wrong, missed = len(self.chosen - right), len(right - self.chosen)
        if not self.chosen:
            feedback = Text("No choice made.", style="bold yellow")
            self.suggested = None
        elif not wrong and not missed:
            feedback = Text("✓ All right choices." if self.multi_answer else "✓ Right choice.", style="bold green")
            self.suggested = 4
        elif not self.multi_answer:
            feedback = Text("✗ Not that one.", style="bold red")
            self.suggested = 1
        else:
            parts = [p for p in (wrong and plural(wrong, "wrong choice"),
                                 missed and plural(missed, "right choice") + " missed") if p]
            feedback = Text("✗ " + ", ".join(parts) + ".", style="bold red")
            self.suggested = 1
        if is_raw_list(back):  # the parser's back is the choice list itself, shown above with marks
            back = ""
        return Revealed(back, self.extra(), feedback)
