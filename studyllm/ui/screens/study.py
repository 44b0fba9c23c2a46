"""Study: one card at a time, revealed, graded, committed, next.

Every answer goes through ``Store.answer``, which commits before returning, so the next
card only appears once the previous answer is on disk; quitting mid-session loses
nothing. The hot path (answer → next card) is synchronous because it measures well
under a frame; see ``benchmarks/bench_tui.py``.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path
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
from studyllm.ui.presenters import PRESENTERS, Presenter, presenter_class, presenter_for, review_seed
from studyllm.ui.screens.base import AppScreen
from studyllm.ui.text import FOUR_BUTTONS, SM2_GRADES, clean, due_words, duration_words, plural
from studyllm.ui.widgets.cardpane import CardPane, has_math, warm_markdown, warm_math
from studyllm.ui.widgets.grades import GradeBar, interval_text
from studyllm.ui.widgets.keybar import KeyBar
from studyllm.ui.widgets.sessionbar import SessionBar

__all__ = ["Session", "StudyScreen", "review_seed"]


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
        Binding(str(g), f"grade({g})", short, tooltip=long, show=False)  # the grade bar shows them
        for g, (short, long) in SM2_GRADES.items()
    ]


def _four_bindings() -> list[Binding]:
    return [Binding(str(key), f"button({key})", name, show=False) for key, (name, _grade) in FOUR_BUTTONS.items()]


def _kind_bindings() -> list[Binding]:
    """Every card kind's own keys (``kind('name', argument)``), each once, in kind order."""
    out: list[Binding] = []
    seen: set[tuple[str, str]] = set()
    for presenter in PRESENTERS.values():
        for b in presenter.KEYS:
            if (b.key, b.action) not in seen:
                seen.add((b.key, b.action))
                out.append(b)
    return out


# the card kinds' key names (``choose``, ``order_move``): Help and the command palette name a
# kind's key ``kind('choose', 1)`` by them (studyllm.ui.keys) and ask check_action with them
_KIND_ACTIONS = frozenset(str(b.action.split("'")[1]) for p in PRESENTERS.values() for b in p.KEYS)


class StudyScreen(AppScreen[None]):
    # styles: study.tcss, read with the app's (see StudyApp.CSS_PATH)
    # check_action reads these two: a change refreshes the footer's keys (bindings=True); no repaint
    revealed: var[bool] = var(False, bindings=True)
    finished: var[bool] = var(False, bindings=True)
    BINDINGS = [
        Binding("space", "reveal", "Show answer"),
        Binding("enter", "reveal", "Show answer", show=False),
        *_kind_bindings(),  # before the scroll keys: an ordered card's ↑↓ move its cursor
        Binding("up", "scroll_card(-1)", "Scroll up", show=False),
        Binding("down", "scroll_card(1)", "Scroll down", show=False),
        Binding("pageup", "scroll_card(-10)", "Page up", show=False),
        Binding("pagedown", "scroll_card(10)", "Page down", show=False),
        *_sm2_bindings(),
        *_four_bindings(),
        Binding("u", "undo", "Undo"),
        Binding("b", "bury", "Bury"),
        Binding("exclamation_mark", "suspend", "Suspend", key_display="!"),
        Binding("escape", "leave", "Home"),  # before the keys the one-line key bar may leave out
        Binding("e", "edit", "Edit"),
        Binding("c", "calculator", "Calc"),
        Binding("m", "math_source", "LaTeX"),
    ]

    def __init__(self, deck_id: int | None = None, deck_title: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        # a session starts from the settings as stored now (the CLI may have switched the
        # scheduler or the grading mode while the app was open); before compose reads them
        self.app.store.reload_settings()
        self.deck_id = deck_id
        self.deck_title = deck_title
        self.card: CardView | None = None
        self.session = Session()
        self.shown_at = 0.0
        self.presenter: Presenter | None = None  # the card's kind: its state, keys, drawing and verdict
        self._card_max = 0  # the card box's most rows (set from the room there is)
        self._rows = 3  # the card pane's rows kept from one card to the next (see _steady_card)
        self.remaining: int | None = None  # cards left today; counted in a worker, then kept by hand

    # ------------------------------------------------------------------ layout
    # The card box is as tall as the card (up to the room there is; then it scrolls), as
    # wide as reads well (100 columns), with the grade bar right under it (before the answer
    # shows, it says what to do) and one line of keys at the bottom. The parts around the
    # card have fixed heights, so answering redraws only the widgets whose text changed (the
    # card, the tally, the grade bar, the key bar); a
    # layout pass runs only when the card's height changes. The answer box shows only for
    # calculator cards, the summary only at the end.
    def compose(self) -> ComposeResult:
        yield Header()
        yield SessionBar(id="session")
        with Vertical(id="column"):
            with VerticalScroll(id="card"):
                yield CardPane(id="card-pane")
            yield Input(id="calc-answer", placeholder="Type your answer, units allowed (14 GB, 1.4e12) and press Enter")
            yield GradeBar(mode=self.app.store.setting("grading_mode"), id="grades")
            with Vertical(id="summary"):
                yield Static(id="summary-text", markup=False)
        yield KeyBar(id="keys", one_line=True)

    def on_mount(self) -> None:
        self.title = "Study"
        self.sub_title = clean(self.deck_title) if self.deck_title else "all decks"
        self.pane = self.query_one(CardPane)
        self.bar = self.query_one(SessionBar)
        self.grades = self.query_one(GradeBar)
        self.column = self.query_one("#column", Vertical)
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
        # plain card text is drawn without markdown-it; the full renderer is loaded once the
        # first card is up, so a back or a next card that needs it doesn't wait for the import
        self.call_after_refresh(warm_markdown)

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

    @property
    def suggested(self) -> int | None:
        """The grade the card's verdict suggests (None: no verdict, or not revealed yet)."""
        return self.presenter.suggested if self.presenter is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        p = self.presenter
        active = p is not None and not self.finished
        if action == "reveal":
            return active and not self.revealed and p is not None and p.can_reveal()
        if action == "kind" or action in _KIND_ACTIONS:  # a card kind's own key: that kind's, before the answer
            name, args = (str(parameters[0]), parameters[1:]) if action == "kind" else (action, parameters)
            return active and not self.revealed and p is not None and p.allows(name, args[0] if args else None)
        if action == "scroll_card":
            return not (active and p is not None and p.owns_arrows and not self.revealed) or \
                abs(int(str(parameters[0]))) > 1
        if action == "grade":
            return active and self.revealed and self.mode != "four"
        if action == "button":
            return active and self.revealed and self.mode == "four"
        if action in ("bury", "suspend", "edit"):
            return active
        if action == "math_source":
            return active and self._has_math()
        return True

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
        self.presenter = p = presenter_for(card)
        p.math = self.pane.math
        summary = self.query_one("#summary")
        if summary.display:  # back from the end summary (undo)
            summary.display = False
            self.scroller.display = True
            self.grades.display = True
        front, extra = p.front(), p.extra()
        self.pane.show(front, extra)
        self._steady_card(shrink=True)
        answer = self.answer_box
        want_box = p.typed
        if answer.display != want_box:
            answer.display = want_box
            self._fit_card()
        if want_box:
            answer.disabled = False
            answer.value = ""
        ctx = card.context
        if card.is_drill:
            ctx += "  · again"
        self.bar.set(context=ctx, done=self.session.done, remaining=self.remaining)
        self.grades.set_state(active=False, suggested=None, hint=self._status_text())  # one redraw
        if self.scroller.scroll_y:
            self.scroller.scroll_home(animate=False)
        if want_box:
            answer.focus()
        elif self.focused is not None:
            self.set_focus(None)
        self.shown_at = self.app.timer()
        self.refresh_bindings()

    def _update_progress(self) -> None:
        self.bar.set(done=self.session.done, remaining=self.remaining)

    def _update_status(self) -> None:
        text = self._status_text()
        # in the grade bar's line until the answer shows (one line repainted, no layout); an
        # unchanged text repaints nothing
        self.grades.set_state(hint=text)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_card)  # once the column has its new size

    def _fit_card(self) -> None:
        """The card box may grow to the room the column has, less the answer box and the grade
        bar under it (it scrolls beyond that)."""
        room = self.column.size.height - self.grades.outer_size.height - 2  # the grade bar and the margins
        if self.answer_box.display:
            room -= 3
        height = max(5, room)
        if self._card_max != height:
            self._card_max = height
            self.scroller.styles.max_height = height

    # A card box that changed height on every reveal and every card would move the grade bar
    # each time and cost a layout pass of the whole screen in the frame after the key. So
    # the box keeps the height of the last answer shown while the next card fits in it
    # with little room to spare, and shrinks to the card when it would stand mostly empty.
    STEADY_SLACK = 6  # rows a front may leave empty before the box shrinks to it

    def _steady_card(self, *, shrink: bool) -> None:
        lines = self.pane.line_count
        rows = self._rows
        if shrink and rows > lines + self.STEADY_SLACK:
            rows = lines
        rows = min(max(rows, lines), max(3, self._card_max - 2)) if self._card_max else max(rows, lines)
        if rows != self._rows:
            self._rows = rows
            self.pane.styles.min_height = rows

    def _status_text(self) -> str:
        if self.card is None or self.finished:
            return "Esc: home · ?: keys"
        if self.revealed:  # the grade bar shows the grades then, the suggested one highlighted
            return ""
        assert self.presenter is not None
        return self.presenter.hint()

    # ------------------------------------------------------------------ kinds
    def action_kind(self, name: str, argument: Any = None) -> None:
        """A card kind's own key (choose a choice, move an item): the presenter does it."""
        p = self.presenter
        if p is None or self.revealed or not p.allows(name, argument):
            return
        if p.act(name, argument):
            self.pane.set_extra(p.extra())
            self._update_status()

    def _has_math(self) -> bool:
        card = self.card
        return card is not None and (has_math(card.front) or has_math(card.back) or has_math(str(card.extra)))

    def action_math_source(self) -> None:
        """Formulas as their LaTeX source, or back to Unicode (kept for the rest of the session)."""
        p = self.presenter
        if p is None:
            return
        math = not self.pane.math
        p.math = math
        extra = p.extra()
        if extra is not None:  # the choices or items, redrawn with the pane below
            self.pane.extra = extra
        self.pane.show_math(math)
        self.notify("Formulas as typed (m: as symbols)." if not math else "Formulas as symbols (m: as typed).",
                    timeout=3)

    def action_scroll_card(self, lines: int) -> None:
        self.scroller.scroll_relative(y=lines, animate=False)

    @on(Input.Submitted, "#calc-answer")
    def _calc_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        p = self.presenter
        if self.revealed or p is None or not p.typed:
            return
        refused = p.submit(event.value)
        if refused is not None:  # empty or unreadable: the learner types again
            severity, message = refused
            self.notify(message, severity="error" if severity == "error" else "warning", markup=False)
            return
        self.reveal()

    # ------------------------------------------------------------------ reveal and grade
    def action_reveal(self) -> None:
        self.reveal()

    def reveal(self) -> None:
        card = self.card
        if card is None or self.revealed:
            return
        self.revealed = True
        assert self.presenter is not None
        if self.presenter.typed:
            self.answer_box.disabled = True
        shown = self.presenter.reveal(clean(card.back))
        self.pane.reveal(shown.back, extra=shown.extra, feedback=shown.feedback)
        self._steady_card(shrink=False)
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
        if upcoming is None:
            return
        if presenter_class(upcoming.kind).prerenderable:
            self.pane.prerender(upcoming.front)  # its formulas, if any, are converted here too
        elif has_math(upcoming.front) or has_math(str(upcoming.extra)):
            warm_math()  # the converter's first formula imports pylatexenc (~50 ms): not in the next frame

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
        prefill, kwargs = self.presenter.calculator() if self.presenter is not None else (None, {})
        self.app.push_screen(self.app.make_screen("calculators", prefill=prefill, **kwargs))

    def action_leave(self) -> None:
        self.app.action_go("home")

    # ------------------------------------------------------------------ summary
    def show_summary(self) -> None:
        self.card = None
        self.presenter = None
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
