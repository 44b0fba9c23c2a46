"""The Textual app: a thin shell holding the store, global keys, navigation and the
command palette. Each job has its own screen in :mod:`studyllm.ui.screens`.

Build it with :func:`build_app` (the CLI and the tests both do); nothing here opens a
database or touches the disk at import time.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import Screen

from studyllm.store import Store
from studyllm.textsafe import clean
from studyllm.ui.registry import GLOBAL_BINDINGS, SCREENS, screen_class
from studyllm.ui.theme import THEMES, other_theme

__all__ = ["StudyApp", "build_app"]

class StudyApp(App[None]):
    """studyllm's TUI. ``store`` is injected; the home screen is pushed on mount."""

    TITLE = "studyllm"
    SUB_TITLE = "spaced repetition for LLM fundamentals"
    # The home and study screens' styles are read with the app's, not as the screens'
    # CSS_PATH: Textual re-parses every stylesheet it holds each time a screen brings a new
    # one (~6 ms for home before its first frame, ~18 ms between the study key and the first
    # card). Their rules name their screen (``HomeScreen #decks``), so where they are read
    # from changes nothing on screen.
    CSS_PATH = ["app.tcss", "screens/home.tcss", "screens/study.tcss"]
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = GLOBAL_BINDINGS

    def __init__(
        self,
        store: Store,
        *,
        editor: str | None = None,
        start: str = "home",
        timer: Callable[[], float] = time.monotonic,
        daily_backup: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.store = store
        self.editor = editor  # overrides $EDITOR (tests)
        self.timer = timer  # session and answer durations (tests freeze it)
        self._start = start
        self._daily_backup = daily_backup
        self.startup_notes: list[str] = []  # shown as toasts once the first screen is up
        for own in THEMES:
            self.register_theme(own)
        theme = store.setting("theme")
        if theme in self.available_themes:
            self.theme = theme

    def on_mount(self) -> None:
        from studyllm.ui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        if self._start != "home":
            self.action_go(self._start)

    def on_load(self) -> None:
        # No garbage collection while the first screen is built: start-up makes tens of
        # thousands of objects, which set off collections that scan them (~8 ms of the
        # ~140 ms to home's first frame at 10,000 cards) and find almost nothing to free.
        # Turned back on once the first frames are out (if it was on).
        self._gc_was_enabled = gc.isenabled()
        gc.disable()

    def on_unmount(self) -> None:
        self._restore_gc()  # an app that stops before its first frames

    def _restore_gc(self) -> None:
        if getattr(self, "_gc_was_enabled", False):
            self._gc_was_enabled = False
            # What start-up made lives as long as the app: frozen first, the collection that
            # turning the collector back on sets off doesn't scan it (the study screen freezes
            # again after its first card, for the same reason).
            gc.freeze()
            gc.enable()

    def on_ready(self) -> None:
        # Textual sends Ready once the first screen is laid out, but that frame is drawn while
        # the app is still starting and never shown: the frames after it are the first on the
        # terminal. Work that can wait starts once they are out, so it doesn't compete with them.
        self.call_after_refresh(self.call_after_refresh, self._after_first_frames)

    def _after_first_frames(self) -> None:
        self._restore_gc()
        for message in self.startup_notes:  # e.g. a tracked deck file that is missing
            self.notify(clean(message), severity="warning", timeout=12, markup=False)
        if self._daily_backup:
            self.run_worker(self._backup, thread=True, group="backup", exit_on_error=False)
        # the study screen, imported while the learner reads home, so the study key doesn't wait for it
        _load_study()

    def _backup(self) -> None:
        """Today's backup (at most one a day), off the UI thread once the first screen is up:
        SQLite's backup API copies a consistent snapshot while the app reads and writes
        (WAL), and the copy is checked, fsynced and renamed into place, so quitting early
        leaves no half backup. On a 100,000-card collection it takes over a second."""
        from studyllm.store.backup import auto_backup
        from studyllm.store.db import StoreError

        try:
            auto_backup(self.store)
        except (StoreError, OSError) as exc:  # a failed backup must not stop the learner
            self.call_from_thread(self.notify, f"No backup today: {exc}", severity="warning", timeout=10,
                                  markup=False)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification (screens' and widgets' ``notify`` end here) passes through the one
        sanitiser: messages quote file names, card text and errors."""
        super().notify(clean(message), title=clean(title), severity=severity, timeout=timeout, markup=markup)

    def watch_theme(self, theme: str) -> None:
        # the command palette's theme picker changes the theme too: keep the setting in step
        store = getattr(self, "store", None)
        if store is not None and theme and store.setting("theme") != theme:
            try:
                store.set_setting("theme", theme)
            except ValueError:
                pass

    def action_toggle_theme(self) -> None:
        """studyllm's light theme from a dark one and back (``ctrl+l``, from anywhere)."""
        self.theme = other_theme(self.current_theme.dark)

    # ------------------------------------------------------------------ navigation
    def make_screen(self, name: str, **kwargs: Any) -> Screen:
        """A new screen from the registry (:mod:`studyllm.ui.registry`)."""
        return screen_class(name)(**kwargs)

    def action_go(self, name: str) -> None:
        """Open a screen by name. Home clears the stack; others stack on top of home."""
        from studyllm.ui.screens.help import HelpScreen
        from studyllm.ui.screens.home import HomeScreen

        if name == "help":
            if not isinstance(self.screen, HelpScreen):
                self.push_screen(self.make_screen("help"))
            return
        while len(self.screen_stack) > 2 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()
        if name == "home":
            if not isinstance(self.screen, HomeScreen) and len(self.screen_stack) > 1:
                self.pop_screen()
            return
        if not isinstance(self.screen, HomeScreen) and len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(self.make_screen(name))

    def study(self, deck_id: int | None = None, deck_title: str | None = None) -> None:
        from studyllm.ui.screens.study import StudyScreen

        self.push_screen(StudyScreen(deck_id=deck_id, deck_title=deck_title))

    # ------------------------------------------------------------------ command palette
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name, entry in SCREENS.items():
            yield SystemCommand(entry.title, entry.help, partial(self.action_go, name))
        # every shown binding of the current screen, so each action is in the palette
        seen: set[str] = set()
        for _key, active in screen.active_bindings.items():
            binding, enabled = active.binding, active.enabled
            if not enabled or not binding.description or active.node is not screen:
                continue
            title = f"{binding.description} ({binding.key_display or _key})"
            if title in seen:
                continue
            seen.add(title)
            yield SystemCommand(
                title,
                f"{type(screen).__name__.removesuffix('Screen')} screen key",
                partial(self._run_in, screen, binding.action),
            )

    async def _run_in(self, node: Any, action: str) -> None:
        await self.run_action(action, node)


def _load_study() -> None:
    """Import the study screen (its card pane brings markdown-it and Rich's Markdown, ~45 ms)
    and build the card pane's shared Markdown parser. Nothing here touches the screen; if
    the import fails, the study key meets the same error later."""
    try:
        from studyllm.ui.screens.study import StudyScreen  # noqa: F401
        from studyllm.ui.widgets.cardpane import markdown

        markdown("")
    except ImportError:
        pass


def build_app(store: Store, **kwargs: Any) -> StudyApp:
    """The one factory for the CLI and the tests: the store is injected."""
    return StudyApp(store, **kwargs)
