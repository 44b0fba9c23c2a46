"""Custom study from home (issue #19 item 14): more new cards today, review ahead, cram.

:class:`CustomStudyDialog` asks which session and for what; :class:`CustomStudyScreen` is the
study screen run on a :class:`~studyllm.store.custom.CustomSession`: while it is on top, the
app's ``store`` is that session (``StudyApp.store``), so the cards, answers and undo are the
session's, and its title says which session it is. Leaving it returns to today's queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from studyllm.store import custom
from studyllm.store.custom import CustomSession
from studyllm.ui.screens.study import StudyScreen
from studyllm.ui.text import clean, one_line

if TYPE_CHECKING:
    from textual import getters

    from studyllm.ui.app import StudyApp

__all__ = ["CustomStudyDialog", "CustomStudyScreen"]


class CustomStudyScreen(StudyScreen):
    """The study screen on a custom session (its title says which)."""

    def __init__(self, session: CustomSession, **kwargs: Any) -> None:
        super().__init__(deck_id=None, deck_title=session.title, **kwargs)
        self.session_store = session  # StudyApp.store answers with this while the screen is on top


class CustomStudyDialog(ModalScreen[CustomSession | None]):
    """Which custom session: more new cards (N), review ahead (N days) or cram (search, tag),
    for every deck or one. Enter in a field, or its button, starts that session."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    if TYPE_CHECKING:
        app = getters.app(StudyApp)
    DEFAULT_CSS = """
    CustomStudyDialog { align: center middle; }
    CustomStudyDialog #custom-box {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    CustomStudyDialog .custom-row { height: 3; }
    CustomStudyDialog .custom-row Label { width: 22; padding: 1 1 0 0; }
    CustomStudyDialog .custom-row Input { width: 1fr; }
    CustomStudyDialog .custom-row Select { width: 1fr; }
    CustomStudyDialog .custom-row Button { min-width: 9; width: 9; }
    CustomStudyDialog .custom-note { color: $text-muted; padding: 0 0 0 0; height: auto; }
    CustomStudyDialog #custom-error { color: $error; height: auto; }
    """

    def __init__(self, deck_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deck_id = deck_id

    def compose(self) -> ComposeResult:
        from studyllm.store.browse import all_tags

        store = self.app.store
        decks = [(Text(one_line(d.title, 38)), d.id) for d in store.decks()]
        with Vertical(id="custom-box") as box:
            box.border_title = "Custom study (Esc: cancel)"
            with Horizontal(classes="custom-row"):
                yield Label("Decks")
                yield Select(decks, prompt="All decks", value=self.deck_id if self.deck_id is not None
                             else Select.NULL, id="custom-deck")
            with Horizontal(classes="custom-row"):
                yield Label("More new cards today")
                yield Input("10", type="integer", id="custom-new")
                yield Button("Start", id="start-new")
            yield Static("Beyond today's limit; learnt and scheduled as usual.", classes="custom-note")
            with Horizontal(classes="custom-row"):
                yield Label("Review ahead (days)")
                yield Input("3", type="integer", id="custom-ahead")
                yield Button("Start", id="start-ahead")
            yield Static("Reviews due within that many days, not yet due; answered and rescheduled as usual.",
                         classes="custom-note")
            with Horizontal(classes="custom-row"):
                yield Label("Cram: search")
                yield Input(placeholder="words (empty: every card)", id="custom-search")
                yield Button("Start", id="start-cram")
            with Horizontal(classes="custom-row"):
                yield Label("Cram: tag")
                yield Select([(Text(one_line(t, 40)), t) for t in all_tags(store)], prompt="Any tag",
                             id="custom-tag")
            yield Static("Cram asks each card until you recall it and stores nothing: the schedule "
                         "doesn't move.", classes="custom-note")
            yield Static("", id="custom-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#custom-new", Input).focus()

    def _deck(self) -> tuple[int | None, str | None]:
        value = self.query_one("#custom-deck", Select).value
        if value is Select.NULL or not isinstance(value, int):
            return None, None
        title = next((d.title for d in self.app.store.decks() if d.id == value), None)
        return value, title

    def _number(self, input_id: str) -> int | None:
        raw = self.query_one(f"#{input_id}", Input).value.strip()
        try:
            n = int(raw)
        except ValueError:
            n = 0
        if n < 1:
            self._error("Type a whole number of at least 1.")
            return None
        return n

    def _error(self, text: str) -> None:
        self.query_one("#custom-error", Static).update(Text(clean(text)))

    def start(self, kind: str) -> None:
        store = self.app.store
        deck_id, title = self._deck()
        try:
            if kind == "new":
                n = self._number("custom-new")
                if n is None:
                    return
                session = custom.more_new(store, n, deck_id, title)
            elif kind == "ahead":
                n = self._number("custom-ahead")
                if n is None:
                    return
                session = custom.review_ahead(store, n, deck_id, title)
            else:
                tag = self.query_one("#custom-tag", Select).value
                session = custom.cram(store, self.query_one("#custom-search", Input).value, deck_id=deck_id,
                                      tag=str(tag) if tag is not Select.NULL and tag is not None else None,
                                      deck_title=title)
        except ValueError as exc:
            self._error(str(exc))
            return
        if not session.pending:
            self._error({"new": "No more new cards there.", "ahead": "Nothing is due in those days.",
                         "cram": "No card matches."}[kind])
            return
        self.dismiss(session)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.start((event.button.id or "").removeprefix("start-"))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.start({"custom-new": "new", "custom-ahead": "ahead", "custom-search": "cram"}.get(event.input.id or "",
                                                                                                "new"))

    def action_cancel(self) -> None:
        self.dismiss(None)
