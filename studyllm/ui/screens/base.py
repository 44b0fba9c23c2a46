"""The base of studyllm's screens: ``self.app`` typed as :class:`~studyllm.ui.app.StudyApp`.

Textual types ``Widget.app`` as a plain ``App``, so ``self.app.store`` would be untyped on
every screen. Textual's own answer is ``app = getters.app(MyApp)``; here it is declared for
the type checker only, so it costs nothing at run time and a screen can still be mounted in
a test's own small app that carries a ``store``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.screen import Screen, ScreenResultType
from textual.widgets import Input, TextArea

if TYPE_CHECKING:
    from textual import getters

    from studyllm.ui.app import StudyApp

__all__ = ["AppScreen", "is_typed_key", "typing_in_field"]

# keys Textual names that a text field types as a character
_NAMED_CHARACTERS = {"space", "slash", "backslash", "comma", "full_stop", "question_mark", "exclamation_mark",
                     "colon", "semicolon", "plus", "minus", "underscore", "equals_sign", "number_sign",
                     "dollar_sign", "percent_sign", "ampersand", "asterisk", "apostrophe", "quotation_mark",
                     "left_parenthesis", "right_parenthesis", "left_square_bracket", "right_square_bracket",
                     "left_curly_bracket", "right_curly_bracket", "less_than_sign", "greater_than_sign",
                     "vertical_line", "tilde", "grave_accent", "circumflex_accent", "at"}


def is_typed_key(key: str) -> bool:
    """True when a focused text field would type ``key`` rather than let a binding have it
    (``b``, ``/``, ``?``, ``!``; not ``ctrl+t``, ``escape``, ``f5``)."""
    return len(key) == 1 or key in _NAMED_CHARACTERS


def typing_in_field(screen: Screen) -> bool:
    """A text field has the focus: printable keys go into it."""
    return isinstance(screen.focused, (Input, TextArea))


class AppScreen(Screen[ScreenResultType]):
    """A screen of the studyllm app."""

    if TYPE_CHECKING:
        app = getters.app(StudyApp)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Every key shown works from where it is shown: while a text field has the focus, a
        binding whose keys the field would type (``/``, ``b``) is hidden, not left in the footer
        doing nothing. The key then types its character, as the learner sees."""
        if typing_in_field(self) and _typed_only(self, action, parameters):
            return False
        return True


def _typed_only(screen: Screen, action: str, parameters: tuple[object, ...]) -> bool:
    """Every one of the screen's bindings for this action is a key a text field types."""
    keys = []
    for item in screen._bindings.key_to_bindings.values():
        for b in item:
            if isinstance(b, Binding) and not b.priority and _same_action(b.action, action, parameters):
                keys.append(b.key)
    return bool(keys) and all(is_typed_key(k) for k in keys)


def _same_action(bound: str, action: str, parameters: tuple[object, ...]) -> bool:
    from textual.actions import ActionError, parse

    try:
        _namespace, name, params = parse(bound)
    except ActionError:  # an action string Textual itself would refuse
        return False
    return name == action and tuple(params) == tuple(parameters)
