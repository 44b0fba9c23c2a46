"""The base of studyllm's screens: ``self.app`` typed as :class:`~studyllm.ui.app.StudyApp`.

Textual types ``Widget.app`` as a plain ``App``, so ``self.app.store`` would be untyped on
every screen. Textual's own answer is ``app = getters.app(MyApp)``; here it is declared for
the type checker only, so it costs nothing at run time and a screen can still be mounted in
a test's own small app that carries a ``store``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen, ScreenResultType

if TYPE_CHECKING:
    from textual import getters

    from studyllm.ui.app import StudyApp

__all__ = ["AppScreen"]


class AppScreen(Screen[ScreenResultType]):
    """A screen of the studyllm app."""

    if TYPE_CHECKING:
        app = getters.app(StudyApp)
