"""Settings: limits, rollover hour, grading mode, deck folders, theme.

Each field is validated by the store's setting specs and saved as soon as it is valid,
so it takes effect at once (the theme changes live, the queue uses the new limits).
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Input, Label, Select, Static

from studyllm.store.db import DatabaseError, StoreError
from studyllm.store.settings import SPECS
from studyllm.ui.screens.base import AppScreen
from studyllm.ui.text import clean, plural

INT_KEYS = ("new_per_day", "reviews_per_day", "rollover_hour")
# the scheduler's settings (issue #20), typed as `studyllm settings KEY VALUE` takes them
SCHEDULER_INPUTS = (
    ("desired_retention", "Desired retention (FSRS)"),
    ("maximum_interval", "Longest interval, days (FSRS)"),
    ("fsrs_learning_steps", "Learning steps, minutes (FSRS)"),
    ("fsrs_relearning_steps", "Relearning steps, minutes (FSRS)"),
)


def _as_text(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def scheduler_fields(s: dict[str, object]) -> ComposeResult:
    """The rows of the scheduler settings: which scheduler, then FSRS's options."""
    with Horizontal(classes="row"):
        yield Label("Scheduler", classes="label")
        yield Select([("SM-2 (the default)", "sm2"), ("FSRS", "fsrs")], value=s["scheduler"], allow_blank=False,
                     id="scheduler", classes="value")
    yield Static(SPECS["scheduler"].help, id="scheduler-msg", classes="msg", markup=False)
    for key, label in SCHEDULER_INPUTS:
        with Horizontal(classes="row"):
            yield Label(label, classes="label")
            yield Input(_as_text(s[key]), id=key, classes="value")
        yield Static(SPECS[key].help, id=f"{key}-msg", classes="msg", markup=False)
    with Horizontal(classes="row"):
        yield Label("Fuzz (FSRS)", classes="label")
        yield Select([("On", True), ("Off", False)], value=s["fsrs_fuzz"], allow_blank=False, id="fsrs_fuzz",
                     classes="value")
    yield Static(SPECS["fsrs_fuzz"].help, id="fsrs_fuzz-msg", classes="msg", markup=False)


class SettingsScreen(AppScreen[None]):
    CSS_PATH = "settings.tcss"
    BINDINGS = [
        Binding("escape", "leave", "Home"),
    ]

    def compose(self) -> ComposeResult:
        s = self.app.store.settings()
        yield Header()
        with VerticalScroll(id="settings-form"):
            for key, label in (
                ("new_per_day", "New cards per day"),
                ("reviews_per_day", "Reviews per day"),
                ("rollover_hour", "Day starts at (hour, 0–23)"),
            ):
                with Horizontal(classes="row"):
                    yield Label(label, classes="label")
                    yield Input(str(s[key]), type="integer", id=key, classes="value")
                yield Static(SPECS[key].help, id=f"{key}-msg", classes="msg", markup=False)
            with Horizontal(classes="row"):
                yield Label("Grading", classes="label")
                yield Select(
                    [("SM-2 grades 0–5", "sm2"), ("4 buttons: Again/Hard/Good/Easy", "four")],
                    value=s["grading_mode"], allow_blank=False, id="grading_mode", classes="value",
                )
            yield Static(SPECS["grading_mode"].help, id="grading_mode-msg", classes="msg", markup=False)
            with Horizontal(classes="row"):
                yield Label("Deck folders", classes="label")
                yield Input(clean(", ".join(s["deck_folders"])), placeholder="~/notes/decks, ~/more", id="deck_folders",
                            classes="value")
            yield Static(SPECS["deck_folders"].help + " (comma-separated; Enter scans them now)",
                         id="deck_folders-msg", classes="msg", markup=False)
            themes = sorted(self.app.available_themes)
            current = self.app.theme if self.app.theme in themes else themes[0]
            with Horizontal(classes="row"):
                yield Label("Theme", classes="label")
                yield Select([(t, t) for t in themes], value=current, allow_blank=False, id="theme", classes="value")
            yield Static("Every built-in theme, dark and light", id="theme-msg", classes="msg", markup=False)
            yield from scheduler_fields(s)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Settings"
        self.query_one("#new_per_day", Input).focus()

    def _message(self, key: str, text: str, error: bool = False) -> None:
        self.query_one(f"#{key}-msg", Static).update(Text(clean(text), style="bold red" if error else "green"))

    def save(self, key: str, value: object) -> bool:
        try:
            self.app.store.set_setting(key, value)
        except ValueError as exc:
            self._message(key, str(exc), error=True)
            return False
        self._message(key, "Saved.")
        return True

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        key = event.input.id
        if key in INT_KEYS:
            raw = event.value.strip()
            if not raw:
                self._message(key, "Type a whole number.", error=True)
                return
            try:
                value = int(raw)
            except ValueError:
                self._message(key, "Type a whole number.", error=True)
                return
            if value != self.app.store.setting(key):
                self.save(key, value)
        elif key in dict(SCHEDULER_INPUTS):
            self._scheduler_input(key, event.value)
        elif key == "deck_folders":
            folders = [p.strip() for p in event.value.split(",") if p.strip()]
            if folders != self.app.store.setting("deck_folders"):
                self.save(key, folders)

    def _scheduler_input(self, key: str, raw: str) -> None:
        from studyllm.store.settings import parse_cli_value

        try:
            value = parse_cli_value(key, raw)
        except ValueError as exc:
            self._message(key, str(exc), error=True)
            return
        if value != self.app.store.setting(key):
            self.save(key, value)

    @on(Input.Submitted, "#deck_folders")
    def _folders_submitted(self) -> None:
        self._message("deck_folders", "Saved. Scanning the folders…")
        self._sync()

    @work(thread=True, exclusive=True, group="sync")
    def _sync(self) -> None:
        from studyllm.store.importer import sync_folders

        try:
            report = sync_folders(self.app.store)
        except (StoreError, DatabaseError, OSError) as exc:  # show it; never crash the settings screen
            self.app.call_from_thread(self._message, "deck_folders", f"Scan failed: {exc}", True)
            return
        t = report.totals() if report is not None else {"files": 0, "new": 0, "errors": 0}
        text = f"Scanned {plural(t['files'], 'file')}: {plural(t['new'], 'new card')}, {plural(t['errors'], 'error')}."
        self.app.call_from_thread(self._message, "deck_folders", text, bool(t["errors"]))

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        key = event.select.id
        value = event.value
        if value is Select.NULL:
            return
        if key == "theme":
            if value != self.app.theme:
                self.app.theme = str(value)  # the app saves the theme setting when it changes
            self._message("theme", "Saved.")
        elif key == "grading_mode" and value != self.app.store.setting("grading_mode"):
            self.save(key, value)
        elif key == "fsrs_fuzz" and value != self.app.store.setting("fsrs_fuzz"):
            self.save(key, value)
        elif key == "scheduler" and value != self.app.store.setting("scheduler"):
            self._switch_scheduler(str(value))

    def _switch_scheduler(self, name: str) -> None:
        """Switch scheduler: every card is rescheduled from its own log (the store does it)."""
        try:
            changed = self.app.store.set_setting("scheduler", name)
        except ValueError as exc:
            self._message("scheduler", str(exc), error=True)
            return
        except (StoreError, DatabaseError) as exc:  # a busy or broken database: nothing was changed
            self._message("scheduler", f"Not switched: {exc}", error=True)
            return
        label = "FSRS" if name == "fsrs" else "SM-2"
        self._message("scheduler", f"Saved: {label} now schedules your cards ({plural(changed or 0, 'card')} "
                                   "rescheduled from their own reviews).")

    def action_leave(self) -> None:
        self.app.action_go("home")
