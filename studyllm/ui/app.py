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
from typing import Any, cast

from textual.app import App, SystemCommand
from textual.notifications import Notify, SeverityLevel
from textual.screen import Screen
from textual.widget import Widget

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
        self._store = store
        self.editor = editor  # overrides $EDITOR (tests)
        self.timer = timer  # session and answer durations (tests freeze it)
        self._start = start
        self._daily_backup = daily_backup
        self.startup_notes: list[str] = []  # shown as toasts once the first screen is up
        self.syncing = False
        self.sync_error = ""  # the last sync's error, until one succeeds
        self.sync_line = ""  # what a running sync is doing (the home screen shows it)
        for own in THEMES:
            self.register_theme(own)
        self._toast_key: tuple[str, str, str] | None = None  # the toast on screen, and how often
        self._toast_count = 0
        self._toast_until = 0.0
        theme = store.setting("theme")
        if theme in self.available_themes and theme != self.theme:
            self._start_with_theme(theme)

    def _start_with_theme(self, theme: str) -> None:
        """The saved theme, set before anything is parsed. ``self.theme = theme`` would run
        Textual's theme watcher, which also queues a re-parse of every stylesheet and a
        restyle of the whole app for once it runs (7-9 ms of the start); here nothing is
        parsed yet, so the new theme's CSS variables are simply the ones the first parse
        reads. The rest is what the watcher does: the theme's classes on the app and the
        ANSI colour filter (a test compares the result with setting ``app.theme``)."""
        self.set_reactive(StudyApp.theme, theme)
        current = self.current_theme
        classes = {name: False for name in self.classes if name.startswith("-theme-")}
        classes[f"-theme-{current.name}"] = True
        classes["-dark-mode"] = current.dark
        classes["-light-mode"] = not current.dark
        self.update_classes(classes, update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        self.stylesheet.set_variables(self.get_css_variables())

    @property
    def store(self) -> Store:
        """The store, or the custom-study session standing in for it while that session's
        screen is on top (:mod:`studyllm.store.custom`): the study screen reads its cards and
        writes its answers through ``app.store``, so a custom session needs no study code of
        its own, and every other screen (home, once the session is left) sees the real store."""
        stack = self._screen_stacks.get(self._current_mode) if hasattr(self, "_screen_stacks") else None
        if stack:
            session = getattr(stack[-1], "session_store", None)
            if session is not None:
                return cast(Store, session)
        return self._store

    @store.setter
    def store(self, store: Store) -> None:
        self._store = store

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
        if self.startup_notes:  # e.g. a tracked deck file that is missing; one toast for all
            self.notify("\n".join(clean(m) for m in self.startup_notes), severity="warning", timeout=12,
                        markup=False)
        if self._daily_backup:
            self.run_worker(self._backup, thread=True, group="backup", exit_on_error=False)
        self.sync_in_background(quiet=True, only_if_on=True)  # at app start (docs/sync.md)
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
            auto_backup(self._store)  # the real store, whatever screen is on top
        except (StoreError, OSError) as exc:  # a failed backup must not stop the learner
            self.call_from_thread(self.notify, f"No backup today: {exc}", severity="warning", timeout=10,
                                  markup=False)

    # ------------------------------------------------------------------ sync (docs/sync.md)
    def action_sync(self) -> None:
        """Sync now (home's y key, the command palette): in a worker, with progress on home."""
        self.sync_in_background(quiet=False)

    def sync_in_background(self, *, quiet: bool, only_if_on: bool = False) -> None:
        """Sync in a thread. ``quiet``: say nothing when nothing changed (app start, after a
        session); errors are always shown, as a notification, never a traceback."""
        from studyllm.store.sync_events import folder_of  # light: studyllm.store.sync loads the importer

        try:
            folder = folder_of(self.store)
        except Exception as exc:  # noqa: BLE001 - a broken database must not stop the app here
            self.notify(f"Sync: {exc}", severity="error", timeout=10, markup=False)
            return
        if folder is None:
            if not only_if_on:
                self.notify("Sync is off. Run `studyllm sync --folder PATH` once on each machine (docs/sync.md).",
                            severity="warning", timeout=10, markup=False)
            return
        if self.syncing:
            if not quiet:
                self.notify("A sync is already running.", timeout=4, markup=False)
            return
        self.syncing = True
        self._sync_progress("starting")
        self.run_worker(partial(self._sync, quiet), thread=True, group="sync", exit_on_error=False)

    def _sync(self, quiet: bool) -> None:
        from studyllm.store.db import StoreError
        from studyllm.store.sync import sync

        try:
            report = sync(self.store, progress=lambda label: self.call_from_thread(self._sync_progress, label))
        except (StoreError, OSError) as exc:
            self.call_from_thread(self._sync_done, None, f"Sync failed: {exc}", quiet)
        except Exception as exc:  # noqa: BLE001 - shown to the learner, never a traceback
            self.call_from_thread(self._sync_done, None, f"Sync failed ({type(exc).__name__}): {exc}", quiet)
        else:
            self.call_from_thread(self._sync_done, report, "", quiet)

    def _sync_progress(self, label: str) -> None:
        self.sync_line = f"Sync: {label}…"
        self._show_sync_line()

    def _sync_done(self, report: Any, error: str, quiet: bool) -> None:
        self.syncing = False
        self.sync_line = ""
        self.sync_error = error
        if report is None:
            self.notify(error, severity="error", timeout=12, markup=False)
        else:
            changed = report.added or report.undone or report.flags or report.decks_in
            if changed or report.problems or not quiet:
                self.notify(report.summary(), timeout=6, markup=False)
            for problem in report.problems[:5]:
                self.notify(f"Sync: {problem}", severity="warning", timeout=12, markup=False)
        refresh = getattr(self.screen, "refresh_data", None)
        if callable(refresh):  # home shows the new numbers and the last sync
            refresh()
        else:
            self._show_sync_line()

    def _show_sync_line(self) -> None:
        show = getattr(self.screen, "show_sync_line", None)
        if callable(show):
            show()

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
        sanitiser: messages quote file names, card text and errors.

        Toasts are one line each at the top right (app.tcss: on the header row, where they
        cover nothing the learner needs). A new one replaces the one up unless that one is
        more severe (then both show, the newer below), and the same message again while it is
        still up is counted ("Buried until tomorrow ×3") rather than stacked."""
        text, head = clean(message), clean(title)
        key = (text, head, severity)
        now = time.monotonic()
        repeat = self._toast_key == key and now < self._toast_until
        self._toast_count = self._toast_count + 1 if repeat else 1
        self._toast_key = key
        self._toast_until = now + (self.NOTIFICATION_TIMEOUT if timeout is None else timeout)
        shown = text if self._toast_count == 1 else f"{text} ×{self._toast_count}"
        super().notify(shown, title=head, severity=severity, timeout=timeout, markup=markup)

    def _on_notify(self, event: Notify) -> None:
        # A new toast replaces those of its severity or lower; one more severe stays (an error
        # isn't pushed off by the "unchanged file" note that follows it), so at most two are up.
        # Textual removes a cleared toast but leaves its holder, which keeps its line in the
        # rack (the next toast would sit a line lower), so the holders of the removed go too.
        rank = _SEVERITY_RANK.get(event.notification.severity, 0)
        keep = [n for n in self._notifications
                if not n.has_expired and _SEVERITY_RANK.get(n.severity, 0) > rank][-1:]
        for toast in self.screen.query("ToastRack Toast"):
            if getattr(toast, "_notification", None) not in keep and isinstance(toast.parent, Widget):
                toast.parent.remove()
        self._notifications.clear()
        for notification in keep:
            self._notifications.add(notification)
        super()._on_notify(event)  # (adding the same notification twice, if Textual also calls it, is a no-op)

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Every key shown works where it is shown: a focused text field types "?", so there
        # the footer offers F1 for Help instead (shown and working while a field has the focus).
        from studyllm.ui.screens.base import typing_in_field

        typing = typing_in_field(self.screen)
        if action == "go" and parameters == ("help",):
            return not typing
        if action == "help":
            return typing
        return True

    def action_help(self) -> None:
        self.action_go("help")

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
        """The command palette: one entry per action, each described by what it does. Textual's
        own (theme, quit, screenshot…) but its "Keys" panel (Help lists every key), then every
        screen from the registry, then the current screen's own actions, one per meaning
        (:func:`studyllm.ui.keys.key_lines`), leaving out what an entry above already does."""
        from studyllm.ui.keys import DOES, key_lines

        seen: set[str] = set()
        for command in super().get_system_commands(screen):
            if command.title == "Keys":
                continue
            seen.add(command.title)
            yield command
        for name, entry in SCREENS.items():
            seen.add(entry.title)
            yield SystemCommand(entry.title, entry.help, partial(self.action_go, name))
        seen.add("Sync now")
        yield SystemCommand("Sync now", "Send this machine's answers to the sync folder and merge the others'",
                            self.action_sync)
        where = type(screen).__name__.removesuffix("Screen")
        for line in key_lines(getattr(screen, "BINDINGS", [])):
            # numbered runs (grades, choices) and moving about are keys, not commands;
            # navigation, leaving and quitting are the entries above; "Study all" is "Study
            # everything due"
            if line.run or line.name in _PALETTE_COVERED or "." in line.action.split("(")[0]:
                continue
            if screen.check_action(line.name, line.params) is not True or line.text in seen:
                continue
            seen.add(line.text)
            does = line.tooltip or DOES.get(line.name) or f"{line.text} ({where} screen)"
            does = does[:1].upper() + does[1:]
            yield SystemCommand(line.text, f"{does} · key {line.key_text}",
                                partial(self._run_in, screen, line.action))

    async def _run_in(self, node: Any, action: str) -> None:
        await self.run_action(action, node)


_SEVERITY_RANK = {"information": 0, "warning": 1, "error": 2}

# actions the palette's navigation and Textual's own entries already offer
_PALETTE_COVERED = frozenset({"go", "help", "quit", "command_palette", "pop_screen", "leave", "study_all",
                              "scroll_card", "order_cursor", "focus_results"})


def _load_study() -> None:
    """Import the study screen (~10 ms: its presenters and the card pane; markdown-it and Rich's
    Markdown, another ~45 ms, only once the first card is drawn, or for a first card that needs
    them: ``cardpane.warm_markdown``). Nothing here touches the screen; if the import fails,
    the study key meets the same error later."""
    try:
        from studyllm.ui.screens.study import StudyScreen  # noqa: F401
    except ImportError:
        pass


def build_app(store: Store, **kwargs: Any) -> StudyApp:
    """The one factory for the CLI and the tests: the store is injected."""
    return StudyApp(store, **kwargs)
