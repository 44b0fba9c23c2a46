"""Ordered list: the items come shuffled; ↑↓ select, Shift+↑↓ (or K/J) move, Space checks."""

from __future__ import annotations

import random
from typing import Any

from rich.text import Text
from textual.binding import Binding

from studyllm.store.service import CardView
from studyllm.ui.presenters.base import Presenter, Revealed, is_raw_list, review_seed
from studyllm.ui.text import clean


class OrderPresenter(Presenter):
    kind = "ordered"
    KEYS = [
        Binding("up", "kind('order_cursor', -1)", "Up", show=False),
        Binding("down", "kind('order_cursor', 1)", "Down", show=False),
        Binding("k", "kind('order_cursor', -1)", "Up", show=False),
        Binding("j", "kind('order_cursor', 1)", "Down", show=False),
        Binding("shift+up", "kind('order_move', -1)", "Move up", key_display="⇧↑"),
        Binding("shift+down", "kind('order_move', 1)", "Move down", key_display="⇧↓"),
        Binding("K", "kind('order_move', -1)", "Move up", show=False),
        Binding("J", "kind('order_move', 1)", "Move down", show=False),
    ]
    owns_arrows = True
    prerenderable = False  # the items are shuffled per review

    def __init__(self, card: CardView) -> None:
        super().__init__(card)
        self.items = [str(i) for i in (card.extra.get("items") or [])]
        order = list(range(len(self.items)))
        rng = random.Random(review_seed(card))
        if len(order) > 1:
            while order == sorted(order):
                rng.shuffle(order)
        self.order = order  # current arrangement (indices into the right order)
        self.order_pos = 0

    def allows(self, name: str, argument: Any) -> bool:
        return name in ("order_cursor", "order_move")

    def act(self, name: str, argument: Any) -> bool:
        if not self.order:
            return False
        delta = int(str(argument))
        if name == "order_cursor":
            self.order_pos = (self.order_pos + delta) % len(self.order)
            return True
        j = self.order_pos + delta
        if name == "order_move" and 0 <= j < len(self.order):
            self.order[self.order_pos], self.order[j] = self.order[j], self.order[self.order_pos]
            self.order_pos = j
            return True
        return False

    def hint(self) -> str:
        return "↑↓ select · Shift+↑↓ (or K/J) move the item · Space: check the order"

    def extra(self) -> Text:
        text = Text()
        for pos, idx in enumerate(self.order):
            line = Text(f" {pos + 1}. ", style="bold")
            line.append(self.shown(self.items[idx]))
            if self.revealed:
                if idx == pos:
                    line.append("  ✓", style="bold green")
                else:
                    line.append(f"  ✗ belongs at {idx + 1}", style="bold red")
            elif pos == self.order_pos:
                line.stylize("reverse")
            if pos:
                text.append("\n")
            text.append(line)
        return text

    def reveal(self, back: str) -> Revealed:
        self.revealed = True
        right = sum(1 for pos, idx in enumerate(self.order) if pos == idx)
        total = len(self.order)
        ok = right == total
        feedback = Text(f"✓ All {total} in the right order." if ok else f"✗ {right} of {total} in the right place.",
                        style="bold green" if ok else "bold red")
        self.suggested = 4 if ok else (2 if right else 1)
        if is_raw_list(back):  # the parser's back is the list in order: shown once, below
            back = ""
        if not ok:
            order = "\n".join(f"{i + 1}. {clean(item)}" for i, item in enumerate(self.items))
            back = (back + "\n\n" if back.strip() else "") + "**Right order:**\n\n" + order
        return Revealed(back, self.extra(), feedback)
