"""Opening a card's deck file in the learner's editor, and saying clearly why that failed.

The editor is ``$VISUAL``, else ``$EDITOR``, else the first of :data:`FALLBACKS` that is
installed (``vi`` first, as git does). The command is split as a shell would split it
(``EDITOR="code --wait"`` works) but never run through a shell. Every way this can fail
(an unbalanced quote, an empty value, a program that isn't installed, one that can't be
started, a non-zero exit) is an :class:`EditorError` with a sentence for a notification;
nothing here raises anything else, so the app suspended around the editor always resumes.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["FALLBACKS", "EditorError", "editor_command", "run_editor"]

FALLBACKS = ("vi", "vim", "nano", "editor")
_HOW_TO_SET = "set $EDITOR to an editor you have, e.g. export EDITOR=nano"


class EditorError(Exception):
    """The editor could not be run; the message says why and what to do."""


def editor_command(
    configured: str | None,
    path: Path,
    line: int,
    *,
    env: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> list[str]:
    """The argument list that opens ``path`` at ``line``. ``configured`` (the app's own
    override) wins over ``$VISUAL`` and ``$EDITOR``."""
    env = os.environ if env is None else env
    source, value = next(
        ((name, v) for name, v in (("the editor setting", configured), ("$VISUAL", env.get("VISUAL")),
                                   ("$EDITOR", env.get("EDITOR"))) if v and v.strip()),
        (None, None),
    )
    if value is None or source is None:
        found = next((name for name in FALLBACKS if which(name)), None)
        if found is None:
            raise EditorError(f"No editor found: $VISUAL and $EDITOR are not set and none of "
                              f"{', '.join(FALLBACKS)} is installed; {_HOW_TO_SET}.")
        argv = [found]
    else:
        try:
            argv = shlex.split(value)
        except ValueError as exc:
            raise EditorError(f"Can't read {source} ({value!r}): {exc}; fix the quoting.") from None
        if not argv:
            raise EditorError(f"{source} ({value!r}) names no program; {_HOW_TO_SET}.")
        if which(argv[0]) is None:
            raise EditorError(f"The editor {argv[0]!r} (from {source}) isn't installed or isn't on PATH; "
                              f"{_HOW_TO_SET}.")
    return [*argv, f"+{max(1, int(line))}", str(path)]


def run_editor(cmd: list[str], *, attached: bool = True) -> int:
    """Run the editor, wait for it and return its exit status. ``attached=False`` (no
    terminal to hand over, e.g. under a test driver) runs it with no input or output.
    Raises only :class:`EditorError` (the program could not be started, or was interrupted)."""
    try:
        if attached:
            return subprocess.call(cmd)
        return subprocess.call(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError as exc:
        raise EditorError(f"Couldn't start the editor {cmd[0]!r}: {exc.strerror or exc}.") from None
    except (subprocess.SubprocessError, KeyboardInterrupt) as exc:
        raise EditorError(f"The editor {cmd[0]!r} was interrupted ({type(exc).__name__}).") from None
