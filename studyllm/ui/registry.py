"""The one list of the app's screens: navigation, ``StudyApp.make_screen``, Help and the
command palette all read it, so a new screen is one entry here plus its module.

Screen modules are imported when a screen is first opened (start-up imports only home),
and an import error is an error: nothing is hidden behind a placeholder.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from textual.binding import Binding, BindingType
from textual.screen import Screen

__all__ = ["GLOBAL_BINDINGS", "SCREENS", "ScreenEntry", "screen_class"]


@dataclass(frozen=True)
class ScreenEntry:
    name: str
    title: str  # the command palette's entry and Help's section title
    help: str  # what the palette says it does
    module: str
    cls: str


SCREENS: dict[str, ScreenEntry] = {
    e.name: e
    for e in (
        ScreenEntry("home", "Home", "Decks, today's progress and streak", "studyllm.ui.screens.home", "HomeScreen"),
        ScreenEntry("study", "Study everything due", "Review every deck's due and new cards",
                    "studyllm.ui.screens.study", "StudyScreen"),
        ScreenEntry("browse", "Browse cards", "Search cards, filter by deck, state and tag, see history",
                    "studyllm.ui.screens.browse", "BrowseScreen"),
        ScreenEntry("import", "Import decks", "Preview and import Markdown decks",
                    "studyllm.ui.screens.import_decks", "ImportScreen"),
        ScreenEntry("settings", "Settings",
                    "Daily limits, rollover hour, grading, scheduler (SM-2 or FSRS), deck folders, theme",
                    "studyllm.ui.screens.settings", "SettingsScreen"),
        ScreenEntry("calculators", "Calculators", "GPU memory, compute and scaling-law calculators",
                    "studyllm.ui.screens.calculators", "CalculatorScreen"),
        ScreenEntry("stats", "Stats", "Reviews, retention and forecasts", "studyllm.ui.screens.stats", "StatsScreen"),
        ScreenEntry("help", "Help: keys", "Every key of every screen", "studyllm.ui.screens.help", "HelpScreen"),
    )
}

# The app's own keys (StudyApp.BINDINGS), here so Help can list them without importing the app.
GLOBAL_BINDINGS: list[BindingType] = [
    Binding("question_mark", "go('help')", "Help", key_display="?"),
    # a text field types "?": while one has the focus, F1 opens Help (StudyApp.check_action)
    Binding("f1", "help", "Help", tooltip="also in a text field, where ? is typed"),
    # and F1 away from a field too, as in most programs, without a second "Help" in the footer
    # (Textual tries a key's bindings in order: this one when the one above is disabled)
    Binding("f1", "go('help')", "Help", show=False),
    Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    # priority: works while a field has focus too (no field uses ctrl+l)
    Binding("ctrl+l", "toggle_theme", "Light/dark theme", show=False, priority=True),
]


def screen_class(name: str) -> type[Screen]:
    """The screen class registered under ``name`` (its module imported on first use)."""
    try:
        entry = SCREENS[name]
    except KeyError:
        raise ValueError(f"unknown screen {name!r}") from None
    cls = getattr(importlib.import_module(entry.module), entry.cls)
    assert isinstance(cls, type) and issubclass(cls, Screen), entry
    return cls
