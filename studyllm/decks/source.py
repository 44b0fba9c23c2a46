"""Reading a deck file safely: regular files only, never more than the size limit.

A FIFO named ``notes.md`` in a deck folder would block a plain ``open()`` forever (no
writer ever comes), and ``/dev/zero`` (or a ``.md`` symlink to it) would be read until
memory runs out, since its reported size is 0. :func:`read_deck_bytes` checks what the
path is before opening it, opens it without blocking, checks the *open* file again
(``fstat``: it may have been swapped since), and reads at most ``max_bytes + 1`` bytes,
so a file that grows while it is read, or lies about its size, is still refused.

Pure: the standard library only.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

__all__ = ["DeckReadError", "open_regular", "read_deck_bytes", "what_is"]

_CHUNK = 1 << 20


class DeckReadError(Exception):
    """The path could not be read as a deck: ``str()`` is the problem, ``hint`` what to do."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


def what_is(mode: int) -> str:
    """'a named pipe (FIFO)', 'a character device', ... for a non-regular ``st_mode``."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_regular(mode: int) -> DeckReadError:
    if stat.S_ISDIR(mode):
        return DeckReadError("is a folder, not a deck file", hint="name the folder to import every *.md in it")
    return DeckReadError(f"is {what_is(mode)}, not a regular file; only regular files are read as decks",
                         hint="copy the text into a .md file")


def _too_large(size: int | None, max_bytes: int) -> DeckReadError:
    what = f"file is {size:,} bytes, larger" if size is not None else "file is larger"
    return DeckReadError(f"{what} than the {max_bytes:,} byte limit",
                         hint="split it into several decks, or raise the max_deck_mb setting")


def _open_regular_fd(path: str | os.PathLike[str], max_bytes: int | None) -> int:
    """A descriptor of the regular file at ``path`` (symlinks followed), opened without blocking,
    checked before the open (a device or a pipe is never opened) and again on the file actually
    opened (it may have been replaced since the stat); with ``max_bytes``, no larger than that.
    :class:`DeckReadError` for anything else."""
    try:
        before = os.stat(path)
    except OSError as exc:
        raise _os_error(exc) from None
    if not stat.S_ISREG(before.st_mode):
        raise _not_regular(before.st_mode)
    if max_bytes is not None and before.st_size > max_bytes:
        raise _too_large(before.st_size, max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _os_error(exc) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(st.st_mode)
        if max_bytes is not None and st.st_size > max_bytes:
            raise _too_large(st.st_size, max_bytes)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_deck_bytes(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path`` (symlinks followed), at most ``max_bytes``.
    Raises :class:`DeckReadError` for anything else: a FIFO, a device, a socket, a folder,
    a file over the limit (by its size or by what was actually read), an unreadable path."""
    fd = _open_regular_fd(path, max_bytes)
    try:
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            try:
                chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - total))
            except OSError as exc:
                raise _os_error(exc) from None
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise _too_large(None, max_bytes)
        return b"".join(chunks)
    finally:
        os.close(fd)


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """``path`` opened for reading in binary, when it is a regular file (symlinks followed);
    :class:`DeckReadError` for anything else, as :func:`read_deck_bytes` checks it: a FIFO is
    never opened so as to block, a device never read. For files read in parts (a zip: an Anki
    package), where reading the whole into memory is not wanted."""
    fd = _open_regular_fd(path, None)
    try:
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _os_error(exc: OSError) -> DeckReadError:
    if exc.errno == errno.ELOOP:
        return DeckReadError("symbolic link loop", hint="fix or remove the link")
    if exc.errno == errno.ENXIO:  # opening a socket
        return DeckReadError("is a socket, not a regular file; only regular files are read as decks")
    if exc.errno == errno.EISDIR:
        return DeckReadError("is a folder, not a deck file")
    return DeckReadError(f"cannot read file: {exc.strerror or exc}")
