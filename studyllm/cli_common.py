"""What every ``studyllm`` subcommand shares: printing through the one sanitiser, opening the
store (with the re-scan of deck folders and tracked sources), reporting errors, and a
progress bar.

Subcommand modules (``cli_progress``, ``cli_backup``, ``cli_calc``, ...) import from here,
never from ``studyllm.cli``, which imports them to register their commands: so there is no
import cycle. Light on purpose: only the standard library and ``studyllm.textsafe`` at import
time; the store and ``rich.progress`` (installed with Textual) are imported when used, so
``studyllm --version`` and ``studyllm due`` stay fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studyllm.textsafe import clean

if TYPE_CHECKING:
    from studyllm.store import Store

PROG = "studyllm"

Command = Callable[[argparse.Namespace], int]


def shown(text: object) -> str:
    """A file name, uid or key for a message: control characters shown escaped (``\\x1b``,
    ``\\n``) instead of acting, so the exact value can still be read."""
    return clean(text, escape="visible")


def flat(text: object) -> str:
    """A title for a one-line listing: sanitised, with its whitespace runs (newlines too) made one space."""
    return " ".join(clean(text).split())


def text_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide characters (CJK, most emoji) two, combining marks
    none, others one, so a listing of deck titles such as "机器学习面试" lines up."""
    import unicodedata

    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns, then padded with spaces to exactly ``width``."""
    if text_width(text) > width:
        out, used = [], 0
        for ch in text:
            w = text_width(ch)
            if used + w > width:
                break
            out.append(ch)
            used += w
        text = "".join(out)
    return text + " " * (width - text_width(text))


def echo(text: object = "", *, err: bool = False, end: str = "\n") -> None:
    """Print to standard output (``err=True``: standard error) through the one sanitiser,
    :func:`studyllm.textsafe.clean`. Every line the commands print goes through here
    (``tests/test_terminal_safety.py`` checks the CLI modules call ``print`` nowhere else)."""
    print(clean(text), end=end, file=sys.stderr if err else sys.stdout)


def echo_json(value: object) -> None:
    """Print ``value`` as indented JSON; the characters JSON leaves raw but a terminal may act
    on (C1 controls, bidi overrides) are written as ``\\u`` escapes, so the data is unchanged."""
    print(clean(json.dumps(value, ensure_ascii=False, indent=2), escape="json"))


def status(text: str) -> None:
    """Redraw a one-line status on standard error (a carriage return, then ``text`` sanitised)."""
    print("\r" + clean(text), end="", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the store


def open_store(args: argparse.Namespace, *, sync: bool = False) -> Store:
    """The store of ``--home`` (else ``$STUDYLLM_HOME``, else the platform's folder). With
    ``sync``, the deck folders and tracked sources are re-scanned first, as every command
    that reads cards must do (a broken file is a warning on stderr, not a reason to stop)."""
    from studyllm.paths import resolve_home
    from studyllm.store import Store

    store = Store.open(resolve_home(getattr(args, "home", None)))
    if sync:
        sync_decks(store)
    return store


def sync_decks(store: Store) -> list[str]:
    """Re-scan the deck folders and tracked sources; returns the warnings (also printed on stderr)."""
    from studyllm.store.importer import sync_folders

    report = sync_folders(store)
    notes = [str(err) for err in report.errors]
    notes += [f"{path}: tracked deck source is missing; its cards are kept. Put it back, or stop tracking it with"
              f" `{PROG} sources forget {path}`" for path in report.missing]
    for note in notes:
        echo(f"{PROG}: warning: {shown(note)}", err=True)
    return notes


# --------------------------------------------------------------------------- errors


class CommandError(Exception):
    """A user mistake a command found itself (a missing option, an unknown deck): printed as
    ``studyllm NAME: error: MESSAGE``, exit code ``code``."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


FULL_DISK_BYTES = 1 << 20  # under this much free space, SQLite's "disk I/O error" is a full disk


def _disk_full_note(home: Path) -> str | None:
    """When the disk holding ``home`` is (nearly) full, say so: SQLite often reports a full
    disk as a "disk I/O error", which must not read as damage."""
    import shutil

    folder = home
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    if free >= FULL_DISK_BYTES:
        return None
    return (f"the disk holding {home} is full ({free:,} bytes free): that is why it can't write, the database "
            "is not damaged. Free some space and try again")


def run_reported(name: str, fn: Command, args: argparse.Namespace) -> int:
    """Run a command; every error a user can cause becomes one line on stderr and exit code 1
    (2 for a :class:`CommandError` that says so), never a traceback. The store's errors get
    the recovery hint (a full disk, or the backup to restore) when one applies."""
    from studyllm.store.db import DatabaseError, StoreError, explain

    prefix = f"{PROG} {name}".rstrip()
    try:
        return int(fn(args) or 0)
    except (StoreError, DatabaseError) as exc:
        # DatabaseError: damage found after the database was opened
        message = str(exc) if isinstance(exc, StoreError) else explain(exc)
        echo(f"{prefix}: error: {shown(message)}", err=True)
        from studyllm.paths import resolve_home
        from studyllm.store.backup import recovery_hint

        try:
            home = resolve_home(getattr(args, "home", None))
            hint = _disk_full_note(home) or recovery_hint(home)
        except Exception:  # noqa: BLE001 - the hint is a courtesy; never hide the real error
            hint = None
        if hint:
            echo(f"{PROG}: {shown(hint)}", err=True)
        return 1
    except (_progress_error(), CommandError) as exc:  # (evaluated only once something was raised)
        echo(f"{prefix}: error: {shown(exc)}", err=True)
        return exc.code if isinstance(exc, CommandError) else 1
    except BrokenPipeError:
        raise
    except OSError as exc:
        where = f"{shown(exc.filename)}: " if getattr(exc, "filename", None) else ""
        echo(f"{prefix}: error: {where}{shown(exc.strerror or exc)}", err=True)
        return 1


def _progress_error() -> type[Exception]:
    """The export and merge errors' class, imported only when an error is on its way:
    :mod:`studyllm.store.export_format` (csv, hashlib, the deck reader: ~12 ms) is not needed to
    start the TUI or most commands."""
    from studyllm.store.export_format import ProgressError

    return ProgressError


def reported(name: str, fn: Command) -> Command:
    """``fn`` wrapped by :func:`run_reported`, for ``set_defaults(func=...)``."""

    def run(args: argparse.Namespace) -> int:
        return run_reported(name, fn, args)

    return run


# --------------------------------------------------------------------------- progress


class ProgressBar:
    """A progress bar on standard error (``rich.progress``, imported on first use), fed as the
    store's ``progress(done, total, label)`` callbacks are. Labels go through the sanitiser
    and are shown as plain text (never as Rich markup). Nothing is drawn for ``total < 2``."""

    def __init__(self) -> None:
        self._progress: Any = None  # a rich.progress.Progress once drawing (rich is imported lazily)
        self._task: Any = None

    def __call__(self, done: int, total: int, label: str) -> None:
        if total < 2:
            return
        from rich.console import Console
        from rich.markup import escape
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        text = escape(flat(label)[:40])
        if self._progress is None:
            progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=False)
            progress.start()
            self._progress = progress
            self._task = progress.add_task(text, total=total)
        self._progress.update(self._task, completed=done, total=total, description=text)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def progress_bar(enabled: bool) -> ProgressBar | None:
    """A :class:`ProgressBar` when ``enabled`` (usually: standard error is a terminal), else ``None``."""
    return ProgressBar() if enabled else None
