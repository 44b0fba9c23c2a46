"""The base of studyllm's screens: ``self.app`` typed as :class:`~studyllm.ui.app.StudyApp`.

Textual types ``Widget.app`` as a plain ``App``, so ``self.app.store`` would be untyped on
every screen. Textual's own answer is ``app = getters.app(MyApp)``; here it is declared for
the type checker only, so it costs nothing at run time and a screen can still be mounted in
a test's own small app that carries a ``store``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import ActiveBinding
from textual.screen import Screen, ScreenResultType

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


# Textual's text fields, by where they are defined: a focused widget is one (or a subclass of
# one) if its class's MRO names it, so this needs no import of ``TextArea`` (its module brings
# the document and syntax machinery: ~11 ms of CPU at every start, and no start-up screen has one).
_TEXT_FIELDS = frozenset({("textual.widgets._input", "Input"), ("textual.widgets._text_area", "TextArea")})
_IS_TEXT_FIELD: dict[type, bool] = {}


def typing_in_field(screen: Screen) -> bool:
    """A text field (Textual's ``Input``, ``TextArea`` or a subclass) has the focus: printable
    keys go into it."""
    focused = screen.focused
    if focused is None:
        return False
    kind = type(focused)
    known = _IS_TEXT_FIELD.get(kind)
    if known is None:  # once per widget class: this runs for every binding on every key
        known = _IS_TEXT_FIELD[kind] = any((c.__module__, c.__qualname__) in _TEXT_FIELDS for c in kind.__mro__)
    return known


class AppScreen(Screen[ScreenResultType]):
    """A screen of the studyllm app."""

    if TYPE_CHECKING:
        app = getters.app(StudyApp)

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """Every key shown works from where it is shown: while a text field has the focus, a
        key the field would type (``/``, ``b``, ``?``) is left out of what the footer and the
        key bar show, as it types its character rather than act. (Read here, so it holds for
        every screen, the study screen's answer box too, whatever the screen's check_action.)"""
        bindings = super().active_bindings
        if not typing_in_field(self):
            return bindings
        return {key: active for key, active in bindings.items()
                if active.binding.priority or not is_typed_key(key) or active.node is self.focused}
