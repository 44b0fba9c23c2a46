"""What every card kind's presenter does, and the plain front/back card.

A presenter holds one review of one card: the state that kind needs while the learner
answers (the choices picked, the order arranged, the number typed), the keys it takes
before the answer shows, the text it draws around the front, and its verdict when the
answer is revealed. The study screen owns the layout, the grade bar, the store and the
session; it asks the card's presenter about everything that differs between kinds. A new
kind is a presenter registered in :mod:`studyllm.ui.presenters` plus its parser rule.

Presenters draw Rich ``Text`` (the card pane draws it with Rich, as it draws the
Markdown); every string from the card goes through :func:`studyllm.ui.text.clean`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding

from studyllm.render.math import replace_math
from studyllm.store.service import CardView
from studyllm.ui.text import clean


def review_seed(card: CardView) -> int:
    """Seed for a card's random parts: fixed per review, so undo replays the same question."""
    digest = hashlib.sha256(f"{card.uid}:{card.reviews}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


_LIST_ITEM = re.compile(r"\s*(?:[-*+]|\d+[.)])\s")


def is_raw_list(back: str) -> bool:
    """Whether a card's back is only a Markdown list (the parser keeps an MCQ's or ordered
    card's list as its back; the screen shows the list itself, marked, so it is not repeated)."""
    lines = [ln for ln in back.splitlines() if ln.strip()]
    return bool(lines) and all(_LIST_ITEM.match(ln) or ln.startswith(("  ", "\t")) for ln in lines)


@dataclass
class Revealed:
    """What the card pane shows once the answer is revealed."""

    back: str  # Markdown, cleaned
    extra: Text | None = None  # the kind's extras redrawn with their marks (None: keep as they are)
    feedback: Text | None = None  # the verdict line


class Presenter:
    """A basic card: the front, a key to reveal, the back. Subclasses change what differs.

    ``KEYS`` are the keys this kind takes before the answer shows; each binding's action is
    ``kind('name', argument)`` and reaches :meth:`act` as ``act('name', argument)``. The study
    screen gathers every kind's keys into its bindings and enables a key only while the
    card on screen is of a kind that has it (and :meth:`allows` it).
    """

    kind: ClassVar[str] = "basic"
    KEYS: ClassVar[list[Binding]] = []
    #: the kind takes ↑/↓ itself before the answer shows (they scroll the card otherwise)
    owns_arrows: ClassVar[bool] = False
    #: its front is the card's own text, so it can be drawn ahead of time (no per-review draw)
    prerenderable: ClassVar[bool] = True
    def __init__(self, card: CardView) -> None:
        self.card = card
        self.revealed = False
        self.typed = False  # the answer is typed into the study screen's answer box
        self.suggested: int | None = None  # SM-2 grade suggested by the verdict
        self.math = True  # formulas in the extras as Unicode (False: as typed; the study screen's m key)

    def shown(self, text: object) -> str:
        """A string of the card (a choice, an item) as the extras draw it: cleaned, math as Unicode."""
        cleaned = clean(text)
        return replace_math(cleaned) if self.math else cleaned

    # ------------------------------------------------------------------ before the answer
    def front(self) -> str:
        """The front, as Markdown."""
        return self.card.front

    def extra(self) -> Text | None:
        """Drawn under the front (choices, items to order); None for nothing."""
        return None

    def can_reveal(self) -> bool:
        """Whether Space/Enter reveals the answer (a typed answer is revealed by Enter in its box)."""
        return True

    def allows(self, name: str, argument: Any) -> bool:
        """Whether the key ``kind(name, argument)`` does something on this card now."""
        return False

    def act(self, name: str, argument: Any) -> bool:
        """Run the key ``kind(name, argument)``; True when :meth:`extra` changed."""
        return False

    def hint(self) -> str:
        """The status line before the answer shows: what to do next."""
        return "Recall the answer, then press Space"

    # ------------------------------------------------------------------ the answer
    def reveal(self, back: str) -> Revealed:
        """The answer is shown: the verdict, and the back as it should be drawn (``back`` is cleaned)."""
        self.revealed = True
        return Revealed(back)

    def submit(self, typed: str) -> tuple[str, str] | None:
        """A typed answer (Enter in the answer box): None when it is read and the answer may be
        revealed, else ``(severity, message)`` to show, and the learner types again."""
        return None

    def calculator(self) -> tuple[Any, dict[str, Any]]:
        """What ``c`` opens the calculators with: (prefill, keyword arguments)."""
        return None, {}


class ClozePresenter(Presenter):
    """A cloze: the parser already wrote the blank into the front and the answer into the back."""

    kind = "cloze"
