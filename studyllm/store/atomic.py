"""Replacing a file atomically: write a temporary file beside it, fsync it, rename it over.

A failure at any point (a full disk, a crash, an exception in the writer) leaves the previous
file whole and no temporary file behind; after the rename the new file is on disk.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO, TypeVar

__all__ = ["atomic_path", "atomic_text"]

T = TypeVar("T")


def _mode_for(path: Path) -> int:
    """The mode of the file being replaced, else what ``open()`` would give a new one (0666 minus the umask)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable (fsync of the directory), where the OS allows."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems can't sync a directory; the rename is still atomic
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; when the block ends it is fsynced and renamed
    over ``path`` (the previous file stays whole until then). On error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, _mode_for(path))  # mkstemp makes it private; an export gets a file's usual mode
        os.close(fd)
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_text(path: Path, write: Callable[[TextIO], T]) -> T:
    """Write a UTF-8 text file atomically through :func:`atomic_path`; returns what ``write`` returns."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        result = write(fh)
        fh.flush()
    return result
