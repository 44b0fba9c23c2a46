"""Settings: every setting the store knows (:data:`studyllm.store.settings.SPECS`), one row each.

The rows are built from the store's list, so a setting added there appears here without
editing this screen: the widget follows the setting's type (a choice → a drop-down, a
whole number or a decimal → a number field, a list → comma-separated text, a flag → a
switch, the rest → text read as the CLI reads it). Each field is validated by the store's
spec and saved as soon as it is valid and different from what is stored, so it takes effect
at once (the theme changes live, the queue uses the new limits); "Saved." appears only then.
"""

from __future__ import annotations

from typing import Any, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, Label, Select, Static, Switch

from studyllm.store.db import DatabaseError, StoreError
from studyllm.store.settings import SPECS, options, parse_cli_value
from studyllm.ui.screens.base import AppScreen
from studyllm.ui.text import clean, plural

# Words for people; a setting not named here is labelled from its key ("desired_retention" →
# "Desired retention"), and a choice's value is shown as itself.
LABELS = {
    "new_per_day": "New cards per day",
    "reviews_per_day": "Reviews per day",
    "rollover_hour": "Day starts at (hour, 0–23)",
    "grading_mode": "Grading",
    "deck_folders": "Deck folders",
    "theme": "Theme",
    "leech_lapses": "Leech after (lapses)",
    "drill_delay_minutes": "Weak answer back after (min)",
    "backups_keep": "Daily backups kept",
    "max_deck_mb": "Largest deck file (MB)",
    "separators": "Card separators",
    "scheduler": "Scheduler",
    "desired_retention": "Desired retention",
    "maximum_interval": "Longest interval (days)",
    "fsrs_learning_steps": "FSRS learning steps (min)",
    "fsrs_relearning_steps": "FSRS relearning steps (min)",
    "fsrs_fuzz": "FSRS fuzz",
}
CHOICE_WORDS = {
    ("grading_mode", "sm2"): "SM-2 grades 0–5",
    ("grading_mode", "four"): "4 buttons: Again/Hard/Good/Easy",
    ("scheduler", "sm2"): "SM-2",
    ("scheduler", "fsrs"): "FSRS",
}
HINTS = {
    "deck_folders": " (comma-separated; Enter scans them now)",
}


def label(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def shown_value(key: str, value: Any) -> str:
    """A stored value as its field shows it (and as :func:`parse_cli_value` reads it back)."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


class SettingsScreen(AppScreen[None]):
    CSS_PATH = "settings.tcss"
    BINDINGS = [
        Binding("escape", "leave", "Home"),
    ]

    def compose(self) -> ComposeResult:
        s = self.app.store.settings()
        yield Header()
        with VerticalScroll(id="settings-form"):
            for key, spec in SPECS.items():
                with Horizontal(classes="row"):
                    yield Label(label(key), classes="label")
                    yield self._field(key, s.get(key, spec.default))
                yield Static(spec.help + HINTS.get(key, ""), id=f"{key}-msg", classes="msg", markup=False)
        yield Footer()

    def _field(self, key: str, value: Any) -> Widget:
        default = SPECS[key].default
        if key == "theme":
            themes = sorted(self.app.available_themes)
            current = self.app.theme if self.app.theme in themes else themes[0]
            return Select([(t, t) for t in themes], value=current, allow_blank=False, id=key, classes="value")
        choices = options(key)
        if choices:
            return Select([(CHOICE_WORDS.get((key, c), c), c) for c in choices], value=value, allow_blank=False,
                          id=key, classes="value")
        if isinstance(default, bool):
            return Switch(value=bool(value), id=key, classes="value")
        kind: Literal["integer", "number", "text"] = (
            "integer" if isinstance(default, int) else "number" if isinstance(default, float) else "text")
        return Input(clean(shown_value(key, value)), type=kind, id=key, classes="value",
                     placeholder="~/notes/decks, ~/more" if key == "deck_folders" else "")

    def on_mount(self) -> None:
        self.title = "Settings"
        self.query(Input).first().focus()

    def _message(self, key: str, text: str, error: bool = False, *, plain: bool = False) -> None:
        style = "bold red" if error else "" if plain else "green"
        self.query_one(f"#{key}-msg", Static).update(Text(clean(text), style=style))

    def save(self, key: str, value: object) -> bool:
        """Store ``value`` if it differs from what is stored; "Saved." only after a change."""
        store = self.app.store
        if value == store.setting(key):
            self._message(key, SPECS[key].help + HINTS.get(key, ""), plain=True)  # nothing to save
            return False
        try:
            changed = store.set_setting(key, value)
        except ValueError as exc:
            self._message(key, str(exc), error=True)
            return False
        except (StoreError, DatabaseError) as exc:  # a busy or broken database: nothing was changed
            self._message(key, f"Not saved: {exc}", error=True)
            return False
        if key == "scheduler":  # switching reschedules every card from its own reviews (the store does it)
            name = "FSRS" if value == "fsrs" else "SM-2"
            self._message(key, f"Saved: {name} now schedules your cards ({plural(changed or 0, 'card')} "
                               "rescheduled from their own reviews).")
        else:
            self._message(key, "Saved.")
        return True

    def _read(self, key: str, raw: str) -> Any:
        """The field's text as the setting's value; ``ValueError`` with words for people."""
        default = SPECS[key].default
        raw = raw.strip()
        if isinstance(default, int) and not isinstance(default, bool):
            try:
                return int(raw)
            except ValueError:
                raise ValueError("Type a whole number.") from None
        if isinstance(default, float):
            try:
                return float(raw)
            except ValueError:
                raise ValueError("Type a number.") from None
        return parse_cli_value(key, raw)

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        key = event.input.id or ""
        if key not in SPECS:
            return
        try:
            value = self._read(key, event.value)
        except ValueError as exc:
            self._message(key, str(exc), error=True)
            return
        self.save(key, value)

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
        self._message("deck_folders", "Scanning the folders…")
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

    @on(Switch.Changed)
    def _switch_changed(self, event: Switch.Changed) -> None:
        key = event.switch.id or ""
        if key in SPECS:
            self.save(key, bool(event.value))

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        key = event.select.id or ""
        value = event.value
        if value is Select.NULL or key not in SPECS:
            return
        if key == "theme":
            if value != self.app.theme:
                self.app.theme = str(value)  # the app saves the theme setting when it changes
                self._message("theme", "Saved.")
            return
        self.save(key, value)

    def action_leave(self) -> None:
        self.app.action_go("home")
