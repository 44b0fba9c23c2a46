"""Calculator cards: a question drawn from the card's spec, a typed number, checked with units."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from rich.text import Text

from studyllm.store.service import CardView
from studyllm.ui.presenters.base import Presenter, Revealed, review_seed
from studyllm.ui.text import clean


def _calc_module() -> ModuleType:
    """The calc-card engine, imported on the first calculator card (most sessions have none)."""
    from studyllm.calc import cards as calc_cards

    return calc_cards


def split_calc_body(body: str) -> tuple[str, str]:
    """A calculator card's body as its question template ("How many GB do the weights of a
    {params} model take in {precision}?") and the rest of the spec, for Browse, which shows the
    card as written rather than drawn. Read line by line (a block scalar, ``question: >`` or
    ``|``, is its indented lines joined), without the YAML parser. No ``question:`` key: ``("",
    body)``."""
    lines = body.splitlines()
    for i, line in enumerate(lines):
        key, sep, rest = line.partition(":")
        if not sep or key.strip() != "question" or line[:1].isspace():
            continue
        rest = rest.strip()
        end = i + 1
        if rest and rest[0] not in "|>":
            question = rest[1:-1] if len(rest) >= 2 and rest[0] in "'\"" and rest[-1] == rest[0] else rest
        else:
            while end < len(lines) and not (lines[end].strip() and not lines[end][:1].isspace()):
                end += 1
            question = " ".join(b.strip() for b in lines[i + 1:end] if b.strip())
        return question, "\n".join(lines[:i] + lines[end:])
    return "", body


def calc_question(body: str) -> str:
    """The question template of a calculator card's body, or the body when it has none."""
    return split_calc_body(body)[0] or body


class CalcPresenter(Presenter):
    kind = "calc"
    prerenderable = False  # the question is drawn per review

    def __init__(self, card: CardView) -> None:
        super().__init__(card)
        self.question: Any = None
        self.result: Any = None
        self.error: str | None = None
        mod = _calc_module()
        try:
            spec = mod.parse_spec(card.extra.get("body", ""))
            self.question = mod.draw(spec, review_seed(card))
        except (mod.CalcSpecError, ValueError) as exc:  # a bad block in a deck must not stop the session
            self.error = f"This calculator card can't be drawn: {exc}"
        self.typed = self.question is not None

    def front(self) -> str:
        return str(self.question.prompt) if self.question is not None else self.card.front

    def can_reveal(self) -> bool:
        return self.question is None  # a card that can't be drawn is shown as it is

    def hint(self) -> str:
        if self.question is not None:
            return "Type the number and press Enter to check it"
        return super().hint()

    def submit(self, typed: str) -> tuple[str, str] | None:
        if self.question is None:
            return None
        typed = typed.strip()
        if not typed:
            return "warning", "Type a number first (units allowed), or press Esc to leave."
        mod = _calc_module()
        try:
            result = mod.check(self.question, typed)
        except (ValueError, ArithmeticError) as exc:
            return "error", f"Couldn't read that answer: {exc}"
        if getattr(result, "value", 0) is None:  # unreadable: let the learner type it again
            return "warning", clean(result.message)
        self.result = result
        return None

    def reveal(self, back: str) -> Revealed:
        self.revealed = True
        q, res = self.question, self.result
        feedback = None
        if q is not None:
            if res is not None:
                style = "bold green" if res.ok else "bold red"
                mark = "✓" if res.ok else "✗"
                feedback = Text(f"{mark} {clean(res.message)}", style=style)
                self.suggested = getattr(res, "suggested_grade", None)
            answer_text = getattr(q, "answer_text", None) or f"{q.answer} {q.unit}".strip()
            answer = f"**Answer:** {clean(answer_text)}"
            solution = clean(getattr(q, "solution", "") or "")
            back = "\n\n".join(p for p in (answer, solution, back if back.strip() else "") if p)
        elif self.error:
            feedback = Text(self.error, style="bold yellow")
        return Revealed(back, None, feedback)

    def calculator(self) -> tuple[Any, dict[str, Any]]:
        if self.question is None:
            return None, {}
        prefill = _calc_module().calculator_inputs(self.question)  # every number the card uses
        tab = getattr(self.question, "tab", None)
        return prefill, ({"tab": tab} if tab else {})
