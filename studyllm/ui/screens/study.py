"""Study: one card at a time, revealed, graded, committed, next.

Every answer goes through ``Store.answer``, which commits before returning, so the next
card only appears once the previous answer is on disk; quitting mid-session loses
nothing. The hot path (answer → next card) is synchronous because it measures well
under a frame; see ``benchmarks/bench_tui.py``.
"""

from __future__ import annotations

import gc
import hashlib
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.reactive import var
from textual.widgets import Header, Input, Static
from textual.worker import get_current_worker

from studyllm.store.db import DatabaseError, StoreError
from studyllm.store.service import CardChangedError, CardView
from studyllm.ui.screens.base import AppScreen
from studyllm.ui.text import FOUR_BUTTONS, SM2_GRADES, clean, due_words, duration_words, plural
from studyllm.ui.widgets.cardpane import CardPane
from studyllm.ui.widgets.grades import GradeBar, interval_text
from studyllm.ui.widgets.keybar import KeyBar
from studyllm.ui.widgets.lines import ChangedLines
from studyllm.ui.widgets.sessionbar import SessionBar


def review_seed(card: CardView) -> int:
    """Seed for a card's random parts: fixed per review, so undo replays the same question."""
    digest = hashlib.sha256(f"{card.uid}:{card.reviews}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


_LIST_ITEM = re.compile(r"\s*(?:[-*+]|\d+[.)])\s")


def _is_raw_list(back: str) -> bool:
    """Whether a card's back is only a Markdown list (the parser keeps an MCQ's or ordered
    card's list as its back; the screen shows the list itself, marked, so it is not repeated)."""
    lines = [ln for ln in back.splitlines() if ln.strip()]
    return bool(lines) and all(_LIST_ITEM.match(ln) or ln.startswith(("  ", "\t")) for ln in lines)


def _calc_module() -> ModuleType:
    """The calc-card engine, imported on the first calculator card (most sessions have none)."""
    from studyllm.calc import cards as calc_cards

    return calc_cards


@dataclass
class Session:
    started: float = 0.0
    answers: list[tuple[int, int]] = field(default_factory=list)  # (card_id, grade)

    @property
    def done(self) -> int:
        return len(self.answers)

    @property
    def correct(self) -> int:
        return sum(1 for _, g in self.answers if g >= 3)


def _sm2_bindings() -> list[Binding]:
    return [
        Binding(str(g), f"grade({g})", short, tooltip=long)
        for g, (short, long) in SM2_GRADES.items()
    ]


def _four_bindings() -> list[Binding]:
    return [Binding(str(key), f"button({key})", name) for key, (name, _grade) in FOUR_BUTTONS.items()]


def _choose_bindings() -> list[Binding]:
    out = [Binding("1", "choose(1)", "Choose", key_display="1-9")]
    out += [Binding(str(n), f"choose({n})", f"Choose {n}", show=False) for n in range(2, 10)]
    return out


class StudyScreen(AppScreen[None]):
    # styles: study.tcss, read with the app's (see StudyApp.CSS_PATH)
    # check_action reads these two: a change refreshes the footer's keys (bindings=True); no repaint
    revealed: var[bool] = var(False, bindings=True)
    finished: var[bool] = var(False, bindings=True)
    BINDINGS = [
        Binding("space", "reveal", "Show answer"),
        Binding("enter", "reveal", "Show answer", show=False),
        *_choose_bindings(),
        Binding("up", "order_cursor(-1)", "Up", show=False),
        Binding("down", "order_cursor(1)", "Down", show=False),
        Binding("k", "order_cursor(-1)", "Up", show=False),
        Binding("j", "order_cursor(1)", "Down", show=False),
        Binding("shift+up", "order_move(-1)", "Move up", key_display="⇧↑"),
        Binding("shift+down", "order_move(1)", "Move down", key_display="⇧↓"),
        Binding("up", "scroll_card(-1)", "Scroll up", show=False),
        Binding("down", "scroll_card(1)", "Scroll down", show=False),
        Binding("pageup", "scroll_card(-10)", "Page up", show=False),
        Binding("pagedown", "scroll_card(10)", "Page down", show=False),
        Binding("K", "order_move(-1)", "Move up", show=False),
        Binding("J", "order_move(1)", "Move down", show=False),
        *_sm2_bindings(),
        *_four_bindings(),
        Binding("u", "undo", "Undo"),
        Binding("b", "bury", "Bury"),
        Binding("exclamation_mark", "suspend", "Suspend", key_display="!"),
        Binding("e", "edit", "Edit"),
        Binding("c", "calculator", "Calc"),
        Binding("escape", "leave", "Home"),
    ]

    def __init__(self, deck_id: int | None = None, deck_title: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.deck_id = deck_id
        self.deck_title = deck_title
        self.card: CardView | None = None
        self.session = Session()
        self.shown_at = 0.0
        self.chosen: set[int] = set()  # mcq: the choices picked (indices into the card's choices)
        self.choice_order: list[int] = []  # mcq: the shown order (position -> index), shuffled each review
        self.order: list[int] = []  # ordered: current arrangement (indices into the right order)
        self.order_pos = 0
        self.calc_question: Any = None
        self.calc_result: Any = None
        self.calc_error: str | None = None
        self.suggested: int | None = None
        self.remaining: int | None = None  # cards left today; counted in a worker, then kept by hand

    # ------------------------------------------------------------------ layout
    # The layout stays put from one card to the next: each part has a fixed height except
    # the card itself, which fills the middle, so answering redraws only the widgets whose
    # text changed (the card, the tally, the status line, the grade bar and the key bar).
    # The answer box shows only for calculator cards, the summary only at the end.
    def compose(self) -> ComposeResult:
        yield Header()
        yield SessionBar(id="session")
        with VerticalScroll(id="card"):
            yield CardPane(id="card-pane")
        yield Input(id="calc-answer", placeholder="Type your answer, units allowed (14 GB, 1.4e12) and press Enter")
        with Vertical(id="summary"):
            yield Static(id="summary-text", markup=False)
        yield ChangedLines(id="status")
        yield GradeBar(mode=self.app.store.setting("grading_mode"), id="grades")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self.title = "Study"
        self.sub_title = clean(self.deck_title) if self.deck_title else "all decks"
        self.pane = self.query_one(CardPane)
        self.bar = self.query_one(SessionBar)
        self.grades = self.query_one(GradeBar)
        self.status = self.query_one("#status", ChangedLines)
        self.answer_box = self.query_one("#calc-answer", Input)
        self.scroller = self.query_one("#card", VerticalScroll)
        self.query_one("#summary").display = False
        self.answer_box.display = False
        self.session.started = self.app.timer()
        self.next_card()
        self.recount()
        # Everything alive once the first card is drawn (Textual, the app, its screens, the
        # libraries) lives as long as the app: move it out of the garbage collector's
        # reach, so a full collection during the session scans only what the session made
        # (it scanned ~110,000 objects, 85-90 ms, a dropped frame or five, every few
        # hundred keys). O(1), nothing is freed or copied.
        self.call_after_refresh(gc.freeze)

    @work(thread=True, exclusive=True, group="recount")
    def recount(self) -> None:
        """Count what is left today off the UI thread (a GROUP BY over every card: too slow
        for the answer → next-card path on a large collection)."""
        total = self.app.store.counts(self.deck_id).total
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._set_remaining, total)

    def _set_remaining(self, total: int) -> None:
        self.remaining = total
        self._update_progress()

    def on_screen_resume(self) -> None:
        # settings may have changed (grading mode) while another screen was on top
        self.grades.set_state(mode=self.app.store.setting("grading_mode"))
        self.refresh_bindings()

    # ------------------------------------------------------------------ state
    @property
    def mode(self) -> str:
        return self.app.store.setting("grading_mode")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        card = self.card
        active = card is not None and not self.finished
        kind = card.kind if card else ""
        if action == "reveal":
            return active and not self.revealed and not (kind == "calc" and self.calc_question is not None)
        if action == "choose":
            return active and kind == "mcq" and not self.revealed and int(str(parameters[0])) <= len(self._choices())
        if action in ("order_cursor", "order_move"):
            return active and kind == "ordered" and not self.revealed
        if action == "scroll_card":
            return not (active and kind == "ordered" and not self.revealed) or abs(int(str(parameters[0]))) > 1
        if action == "grade":
            return active and self.revealed and self.mode != "four"
        if action == "button":
            return active and self.revealed and self.mode == "four"
        if action in ("bury", "suspend", "edit"):
            return active
        if action == "calculator":
            return True
        return True

    def _choices(self) -> list[dict[str, Any]]:
        if self.card is None:
            return []
        choices = self.card.extra.get("choices") or []
        return [c for c in choices if isinstance(c, dict)]

    def _items(self) -> list[str]:
        if self.card is None:
            return []
        return [str(i) for i in (self.card.extra.get("items") or [])]

    # ------------------------------------------------------------------ card flow
    def next_card(self) -> None:
        card = self.app.store.next_card(self.deck_id)
        if card is None:
            self.show_summary()
            return
        self.show_card(card)

    def show_card(self, card: CardView) -> None:
        self.card = card
        self.revealed = False
        self.finished = False
        self.chosen = set()
        self.suggested = None
        self.calc_question = self.calc_result = None
        self.calc_error = None
        summary = self.query_one("#summary")
        if summary.display:  # back from the end summary (undo)
            summary.display = False
            self.scroller.display = True
            self.grades.display = True
        front = card.front
        if card.kind == "calc":
            front = self._draw_calc(card) or front
        extra = None
        if card.kind == "mcq":
            order = list(range(len(self._choices())))
            random.Random(review_seed(card)).shuffle(order)
            self.choice_order = order
            extra = self._choices_text()
        elif card.kind == "ordered":
            items = self._items()
            order = list(range(len(items)))
            rng = random.Random(review_seed(card))
            if len(order) > 1:
                while order == sorted(order):
                    rng.shuffle(order)
            self.order = order
            self.order_pos = 0
            extra = self._order_text()
        self.pane.show(front, extra)
        answer = self.answer_box
        want_box = card.kind == "calc" and self.calc_question is not None
        if answer.display != want_box:
            answer.display = want_box
        if want_box:
            answer.disabled = False
            answer.value = ""
        ctx = card.context
        if card.is_drill:
            ctx += "  · again"
        self.bar.set(context=ctx, done=self.session.done, remaining=self.remaining)
        self.grades.set_state(active=False, suggested=None)
        self._update_status()
        if self.scroller.scroll_y:
            self.scroller.scroll_home(animate=False)
        if want_box:
            answer.focus()
        elif self.focused is not None:
            self.set_focus(None)
        self.shown_at = self.app.timer()
        self.refresh_bindings()

    def _draw_calc(self, card: CardView) -> str | None:
        mod = _calc_module()
        try:
            spec = mod.parse_spec(card.extra.get("body", ""))
            self.calc_question = mod.draw(spec, review_seed(card))
        except (mod.CalcSpecError, ValueError) as exc:  # a bad block in a deck must not stop the session
            self.calc_error = f"This calculator card can't be drawn: {exc}"
            self.calc_question = None
            return None
        return str(self.calc_question.prompt)

    def _update_progress(self) -> None:
        self.bar.set(done=self.session.done, remaining=self.remaining)

    def _update_status(self) -> None:
        text = self._status_text()
        self.status.draw(text, key=text)  # unchanged text repaints nothing

    def _status_text(self) -> str:
        card = self.card
        if card is None or self.finished:
            return "Esc: home · ?: keys"
        if self.revealed:
            if self.mode == "four":
                text = "How did it go? 1 Again · 2 Hard · 3 Good · 4 Easy"
            else:
                text = "How well did you recall it? Grade 0–5"
            if self.suggested is not None:
                text += f"   (suggested: {self._key_for_grade(self.suggested)})"
            return text
        if card.kind == "mcq":
            n = len(self._choices())
            picked = sorted(self.choice_order.index(i) + 1 for i in self.chosen)
            chosen = f"chosen: {', '.join(map(str, picked))}" if picked else "nothing chosen yet"
            if self.multi_answer:
                return f"1–{n} toggle a choice ({chosen}), then Space to check"
            return f"Press 1–{n} to choose ({chosen}), then Space to check"
        if card.kind == "ordered":
            return "↑↓ select · Shift+↑↓ (or K/J) move the item · Space: check the order"
        if card.kind == "calc" and self.calc_question is not None:
            return "Type the number and press Enter to check it"
        return "Think of the answer, then press Space to reveal it"

    def _key_for_grade(self, grade: int) -> str:
        if self.mode == "four":
            for key, (name, g) in FOUR_BUTTONS.items():
                if g == max(2, grade):
                    return f"{key} {name}"
        return f"{grade} {SM2_GRADES[grade][0]}"

    # ------------------------------------------------------------------ kinds
    @property
    def multi_answer(self) -> bool:
        """More than one right choice: the card is "choose all that apply"."""
        return sum(1 for c in self._choices() if c.get("correct")) > 1

    def _right_choices(self) -> set[int]:
        return {i for i, c in enumerate(self._choices()) if c.get("correct")}

    def _choices_text(self) -> Text:
        choices = self._choices()
        text = Text()
        if self.multi_answer:
            text.append(f"Choose all that apply ({len(self._right_choices())} are right):\n", style="italic")
        for pos, i in enumerate(self.choice_order):
            choice = choices[i]
            picked = i in self.chosen
            box = ("[x] " if picked else "[ ] ") if self.multi_answer else ""
            line = Text(f" {pos + 1}. {box}", style="bold")
            line.append(clean(choice.get("text", "")))
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

    def _order_text(self) -> Text:
        items = self._items()
        text = Text()
        for pos, idx in enumerate(self.order):
            line = Text(f" {pos + 1}. ", style="bold")
            line.append(clean(items[idx]))
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

    def action_choose(self, n: int) -> None:
        """Number keys pick the choice shown at that position: one choice replaces the last on a
        single-answer card; on a "choose all that apply" card each key toggles its choice."""
        if not 1 <= n <= len(self.choice_order):
            return
        index = self.choice_order[n - 1]
        if not self.multi_answer:
            self.chosen = {index}
        elif index in self.chosen:
            self.chosen.discard(index)
        else:
            self.chosen.add(index)
        self.pane.set_extra(self._choices_text())
        self._update_status()

    def action_scroll_card(self, lines: int) -> None:
        self.scroller.scroll_relative(y=lines, animate=False)

    def action_order_cursor(self, delta: int) -> None:
        if self.order:
            self.order_pos = (self.order_pos + delta) % len(self.order)
            self.pane.set_extra(self._order_text())

    def action_order_move(self, delta: int) -> None:
        j = self.order_pos + delta
        if self.order and 0 <= j < len(self.order):
            self.order[self.order_pos], self.order[j] = self.order[j], self.order[self.order_pos]
            self.order_pos = j
            self.pane.set_extra(self._order_text())

    @on(Input.Submitted, "#calc-answer")
    def _calc_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.revealed or self.calc_question is None:
            return
        typed = event.value.strip()
        if not typed:
            self.notify("Type a number first (units allowed), or press Esc to leave.", severity="warning")
            return
        mod = _calc_module()
        try:
            result = mod.check(self.calc_question, typed)
        except (ValueError, ArithmeticError) as exc:
            self.notify(f"Couldn't read that answer: {exc}", severity="error", markup=False)
            return
        if getattr(result, "value", 0) is None:  # unreadable: let the learner type it again
            self.notify(clean(result.message), severity="warning", markup=False)
            return
        self.calc_result = result
        self.reveal()

    # ------------------------------------------------------------------ reveal and grade
    def action_reveal(self) -> None:
        self.reveal()

    def reveal(self) -> None:
        card = self.card
        if card is None or self.revealed:
            return
        self.revealed = True
        feedback: Text | None = None
        extra: Text | None = None
        back = clean(card.back)
        if card.kind == "mcq":
            extra = self._choices_text()
            right_set = self._right_choices()
            wrong, missed = len(self.chosen - right_set), len(right_set - self.chosen)
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
            if _is_raw_list(back):  # the parser's back is the choice list itself, shown above with marks
                back = ""
        elif card.kind == "ordered":
            extra = self._order_text()
            right = sum(1 for pos, idx in enumerate(self.order) if pos == idx)
            total = len(self.order)
            ok = right == total
            feedback = Text(f"✓ All {total} in the right order." if ok else f"✗ {right} of {total} in the right place.",
                            style="bold green" if ok else "bold red")
            self.suggested = 4 if ok else (2 if right else 1)
            if _is_raw_list(back):  # the parser's back is the list in order: shown once, below
                back = ""
            if not ok:
                order = "\n".join(f"{i + 1}. {clean(item)}" for i, item in enumerate(self._items()))
                back = (back + "\n\n" if back.strip() else "") + "**Right order:**\n\n" + order
        elif card.kind == "calc":
            self.answer_box.disabled = True
            q, res = self.calc_question, self.calc_result
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
            elif self.calc_error:
                feedback = Text(self.calc_error, style="bold yellow")
        self.pane.reveal(back, extra=extra, feedback=feedback)
        suggested = self.suggested
        if self.mode == "four" and suggested is not None:
            suggested = max(2, suggested)
        self.grades.set_state(mode=self.mode, active=True, suggested=suggested, intervals=self._next_intervals(card))
        if self.focused is not None:
            self.set_focus(None)
        self._update_status()
        self.call_after_refresh(self._prepare_next)

    def _next_intervals(self, card: CardView) -> dict[int, str]:
        """What each grade would do to ``card`` (the grade bar's "6d"), from the scheduler's preview."""
        store = self.app.store
        today = store.today()
        return {g: interval_text(n.due_day, today, n.minutes) for g, n in store.preview_answer(card).items()}

    def _prepare_next(self) -> None:
        """While the learner reads the answer, draw the front of the card most likely to
        come next (the next in the queue after this one), so the frame after the grade key
        only swaps it in. A wrong guess costs nothing but this idle work."""
        card = self.card
        if card is None or not self.revealed or self.finished:
            return
        try:
            upcoming = self.app.store.next_card(self.deck_id, exclude=card.id)
        except (StoreError, DatabaseError):  # a busy database: the next card is simply drawn when it comes
            return
        if upcoming is not None and upcoming.kind not in ("calc", "mcq", "ordered"):
            self.pane.prerender(upcoming.front)

    def action_grade(self, grade: int) -> None:
        self.grade(grade)

    def action_button(self, key: int) -> None:
        self.grade(FOUR_BUTTONS[key][1])

    def grade(self, grade: int) -> None:
        card = self.card
        if card is None or not self.revealed or self.finished:
            return
        ms = int((self.app.timer() - self.shown_at) * 1000)
        try:
            result = self.app.store.answer(card.id, grade, ms, shown=card)
        except CardChangedError:  # another studyllm window answered it first: don't count it twice
            self.notify("This card was answered in another window; moving on.", timeout=6, markup=False)
            self.next_card()
            self.recount()
            return
        except (StoreError, DatabaseError, OSError) as exc:  # a full disk, a locked or broken database: say so
            from studyllm.store.db import explain

            why = explain(exc) if isinstance(exc, DatabaseError) else str(exc)
            self.notify(f"The answer wasn't saved: {why}", severity="error", timeout=8, markup=False)
            return
        self.session.answers.append((card.id, grade))
        delay = result.back_minutes if result.drill_again else None  # SM-2's drill delay, or FSRS's step
        if result.due_day is not None:  # the line between cards: when this one comes back
            self.grades.set_state(back=interval_text(result.due_day, self.app.store.today(), delay))
        if self.remaining is not None and not result.drill_again:
            self.remaining = max(0, self.remaining - 1)  # a weak answer keeps the card in today's queue
        self.next_card()

    # ------------------------------------------------------------------ other actions
    def action_undo(self) -> None:
        """Take back the last action of this session, whatever it was (an answer, a bury, a
        suspend), and show that card again; step by step, newest first."""
        try:
            undone = self.app.store.undo_action()
        except (StoreError, DatabaseError) as exc:
            self.notify(f"Couldn't undo: {exc}", severity="error", markup=False)
            return
        if undone is None:
            self.notify("Nothing to undo.")
            return
        self.grades.set_state(back=None)
        if undone.action == "answer":
            for i in range(len(self.session.answers) - 1, -1, -1):
                if self.session.answers[i][0] == undone.card_id:
                    del self.session.answers[i]
                    break
        self.notify({"answer": "Last answer undone.", "bury": "Unburied.", "suspend": "Unsuspended."}.get(
            undone.action, "Undone."))
        card = self.app.store.card(undone.card_id)
        if card.suspended or card.archived or self.app.store.is_buried(card):
            self.next_card()  # an undone unbury or unsuspend (from Browse) hides the card again
        else:
            self.show_card(card)
        self.recount()

    def action_bury(self) -> None:
        if self.card is None:
            return
        self.app.store.bury(self.card.id)
        self.notify("Buried until tomorrow (u: undo).")
        if self.remaining is not None:
            self.remaining = max(0, self.remaining - 1)
        self.next_card()
        self.recount()

    def action_suspend(self) -> None:
        if self.card is None:
            return
        self.app.store.suspend(self.card.id)
        self.notify("Suspended (u: undo; Browse ! unsuspends).")
        if self.remaining is not None:
            self.remaining = max(0, self.remaining - 1)
        self.next_card()
        self.recount()

    def action_edit(self) -> None:
        card = self.card
        if card is None:
            return
        path = Path(card.source_path) if card.source_path else None
        if path is None or not path.is_file():
            self.notify(f"The deck file isn't there any more: {clean(card.source_path) or '(none)'}", severity="error",
                        markup=False)
            return
        from studyllm.store.importer import editable_copy

        try:  # a shipped deck is copied into the learner's deck folder first (an upgrade would lose edits)
            path, copied = editable_copy(self.app.store, str(path))
        except (OSError, StoreError) as exc:
            self.notify(f"Couldn't copy the shipped deck to edit it: {clean(str(exc))}", severity="error",
                        markup=False)
            return
        if copied:
            self.notify(f"This is a shipped deck: you are editing your own copy, {clean(str(path))}. It replaces "
                        "the shipped deck, with all your progress; upgrades won't overwrite it.", timeout=10,
                        markup=False)

        from studyllm.ui.editor import EditorError, editor_command

        try:
            cmd = editor_command(self.app.editor, path, card.line)
            code = self._edit_in_terminal(cmd)
        except EditorError as exc:
            self.notify(str(exc), title="Editor", severity="error", timeout=12, markup=False)
            return
        if code:
            self.notify(f"The editor {cmd[0]!r} exited with status {code}; the deck file is re-read anyway.",
                        title="Editor", severity="warning", timeout=8, markup=False)
        self.reimport(path, card.id)

    def _edit_in_terminal(self, cmd: list[str]) -> int:
        """Hand the terminal to the editor and take it back. Textual resumes the app only
        when the ``suspend()`` block ends normally, so nothing may raise inside it:
        :func:`run_editor` raises only ``EditorError``, which is carried out of the block."""
        from textual.app import SuspendNotSupported

        from studyllm.ui.editor import EditorError, run_editor

        outcome: int | EditorError
        try:
            with self.app.suspend():
                try:
                    outcome = run_editor(cmd)
                except EditorError as exc:
                    outcome = exc
        except SuspendNotSupported:  # no terminal to hand over (a test or web driver)
            outcome = run_editor(cmd, attached=False)
        if isinstance(outcome, EditorError):
            raise outcome
        return outcome

    def reimport(self, path: Path, card_id: int) -> None:
        from studyllm.store.importer import import_file

        try:
            report = import_file(self.app.store, path)
        except (StoreError, DatabaseError, OSError) as exc:
            self.notify(f"Re-import failed: {exc}", severity="error", markup=False)
            return
        if report.errors:
            self.notify(f"{path.name}: {plural(len(report.errors), 'error')}, nothing changed:\n{report.errors[0]}",
                        severity="error", timeout=10, markup=False)
        else:
            self.notify(f"{path.name}: {report.summary()}", markup=False)
        try:
            card = self.app.store.card(card_id)
        except KeyError:
            card = None
        if card is None or card.archived or card.suspended:
            self.next_card()
        else:
            self.show_card(card)
        self.recount()

    def action_calculator(self) -> None:
        prefill = None
        kwargs = {}
        if self.calc_question is not None:
            prefill = _calc_module().calculator_inputs(self.calc_question)  # every number the card uses
            tab = getattr(self.calc_question, "tab", None)
            if tab:
                kwargs["tab"] = tab
        self.app.push_screen(self.app.make_screen("calculators", prefill=prefill, **kwargs))

    def action_leave(self) -> None:
        self.app.action_go("home")

    # ------------------------------------------------------------------ summary
    def show_summary(self) -> None:
        self.card = None
        self.finished = True
        self.revealed = False
        self.scroller.display = False
        self.grades.display = False
        self.answer_box.display = False
        self.query_one("#summary").display = True
        store = self.app.store
        s = self.session
        elapsed = self.app.timer() - s.started
        nd = store.next_due()
        today = store.today()
        lines = Text()
        if s.done == 0:
            lines.append("Nothing to study here right now.\n\n", style="bold")
        else:
            lines.append("Session complete.\n\n", style="bold")
            distinct = len({cid for cid, _ in s.answers})
            lines.append(f"Cards:     {plural(s.done, 'answer')} ({plural(distinct, 'different card')})\n")
            lines.append(f"Time:      {duration_words(elapsed)}\n")
            lines.append(f"Accuracy:  {round(100 * s.correct / s.done)}% graded 3 or more\n")
        next_due = f"{nd.isoformat()} ({due_words(nd, today)})" if nd else "nothing scheduled"
        lines.append(f"Next due:  {next_due}\n")
        lines.append(f"Streak:    {plural(store.streak(), 'day')}\n\n")
        lines.append("Esc: back home", style="dim")
        self.query_one("#summary-text", Static).update(lines)
        self.remaining = 0
        self.bar.set(context="Done for now", done=s.done, remaining=0)
        self._update_status()
        self.set_focus(None)
