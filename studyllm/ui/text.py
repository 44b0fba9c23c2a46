"""Helpers for showing untrusted card text safely, and the words used for grades.

Card text comes from Markdown files a learner may have downloaded. It is shown through
the Markdown widget (which never interprets Textual markup) or as plain ``Text`` /
``markup=False`` labels, and passes through :func:`clean` first: the project's one
sanitiser, :func:`studyllm.textsafe.clean` (re-exported here), which removes escape
sequences such as ``\\x1b]52;...`` (clipboard write), control characters and bidi
overrides, so none of them reaches the terminal.
"""

from __future__ import annotations

from datetime import date

from studyllm.textsafe import clean

__all__ = ["FOUR_BUTTONS", "SM2_GRADES", "clean", "days_words", "due_words", "duration_words", "one_line", "plural"]

# SM-2's own words for the six grades (Wozniak 1990), shortened to fit a footer.
SM2_GRADES: dict[int, tuple[str, str]] = {
    0: ("blackout", "complete blackout"),
    1: ("wrong, familiar", "incorrect, but the answer felt familiar"),
    2: ("wrong, easy", "incorrect, but the answer seemed easy to recall"),
    3: ("right, hard", "correct, recalled with serious difficulty"),
    4: ("right", "correct after a hesitation"),
    5: ("perfect", "perfect response"),
}

# 4-button mode: Anki's buttons mapped onto SM-2 grades as the srs-benchmark does.
FOUR_BUTTONS: dict[int, tuple[str, int]] = {
    1: ("Again", 2),
    2: ("Hard", 3),
    3: ("Good", 4),
    4: ("Easy", 5),
}


def one_line(text: object, width: int = 80) -> str:
    """A single-line preview: control characters removed, whitespace collapsed, cut to ``width``."""
    flat = " ".join(clean(text).split())
    return flat if len(flat) <= width else flat[: max(1, width - 1)] + "…"


def plural(n: int, word: str, many: str | None = None) -> str:
    """"1 card", "2 cards", "1 day", "0 answers": ``many`` when adding an s won't do."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def days_words(n: int) -> str:
    return "1 day" if abs(n) == 1 else f"{abs(n)} days"


def due_words(due: date | None, today: date) -> str:
    """"due today", "due in 6 days", "overdue by 2 days"."""
    if due is None:
        return "not scheduled yet"
    delta = (due - today).days
    if delta == 0:
        return "due today"
    if delta > 0:
        return "due tomorrow" if delta == 1 else f"due in {days_words(delta)}"
    return f"overdue by {days_words(delta)}"


def duration_words(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
