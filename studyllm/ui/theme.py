"""studyllm's own look: a dark and a light theme made for reading cards for a while.

Both are calm (no saturated background), with one accent colour for where you are (the
deck, the progress, the keys) and the usual meaning for green, amber and red (right,
nearly, wrong; the grade buttons use them). ``studyllm-dark`` is the default; Settings and
the command palette offer every Textual theme as well, and ``ctrl+l`` switches between
studyllm's light and dark (from any theme: a dark one goes to studyllm-light).
"""

from __future__ import annotations

from textual.theme import Theme

__all__ = ["DARK", "LIGHT", "THEMES", "other_theme"]

DARK = Theme(
    name="studyllm-dark",
    dark=True,
    primary="#7AA2F7",  # a soft blue: borders, the focused element, the suggested grade
    secondary="#9D7CD8",
    accent="#E0AF68",  # amber: the deck path, progress and keys
    foreground="#D5D9E4",
    background="#1A1D26",
    surface="#222632",
    panel="#2A2F3D",
    success="#8FBF6A",
    warning="#E0AF68",
    error="#F07178",
    boost="#2A2F3D",
    variables={
        "footer-background": "#222632",
        "footer-key-foreground": "#E0AF68",
        "text-muted": "#8C93A8",
        "foreground-muted": "#8C93A8",
        "border": "#3B4257",
        "scrollbar": "#3B4257",
        "block-cursor-background": "#7AA2F7",
        "block-cursor-foreground": "#1A1D26",
    },
)

LIGHT = Theme(
    name="studyllm-light",
    dark=False,
    primary="#2F5F9E",
    secondary="#6B4FA0",
    accent="#A25A12",  # burnt orange, readable on paper
    foreground="#2B2A27",
    background="#F7F4EC",  # paper, not white: easier over a long session
    surface="#FFFDF7",
    panel="#ECE7DA",
    success="#3D7A35",
    warning="#9A6A12",
    error="#B42D25",
    boost="#ECE7DA",
    variables={
        "footer-background": "#ECE7DA",
        "footer-key-foreground": "#A25A12",
        "text-muted": "#6E6A60",
        "foreground-muted": "#6E6A60",
        "border": "#CFC8B6",
        "scrollbar": "#CFC8B6",
        "block-cursor-background": "#2F5F9E",
        "block-cursor-foreground": "#FFFDF7",
    },
)

THEMES = (DARK, LIGHT)


def other_theme(current_is_dark: bool) -> str:
    """The theme ``ctrl+l`` switches to: studyllm's light one from any dark theme, and back."""
    return LIGHT.name if current_is_dark else DARK.name
