"""Shown in place of a screen whose module isn't available (yet)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.widgets import Footer, Header, Static

from studyllm.ui.screens.base import AppScreen


class PlaceholderScreen(AppScreen[None]):
    BINDINGS = [Binding("escape", "app.go('home')", "Home")]
    DEFAULT_CSS = """
    PlaceholderScreen Static { width: auto; max-width: 70; padding: 1 2; border: round $warning; }
    """

    def __init__(self, title: str, message: str, **_ignored: Any):
        super().__init__()
        self._title = title
        self._message = message

    def compose(self) -> ComposeResult:
        yield Header()
        with Middle():
            with Center():
                yield Static(self._message, markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = self._title
