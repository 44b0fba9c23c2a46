"""The advisory lock that tells a restore whether studyllm is running on a database.

Every :class:`~studyllm.store.service.Store` opened on a file (the TUI and every command)
holds a *shared* ``flock`` on ``studyllm.db.lock`` beside the database for as long as it
is open; the kernel drops it when the process ends, ``kill -9`` included, so a crash never
leaves a stale lock. :func:`~studyllm.store.backup.restore_backup` takes the lock
*exclusively* without waiting: while any other studyllm process has the database open the
restore is refused (otherwise that process would go on writing to the file that was moved
aside, and its answers would be missing from the restored one); and while a restore runs,
a studyllm that starts waits for it (up to the busy timeout) instead of opening the file
half-way through the swap.

Where ``fcntl`` does not exist (Windows) the lock is a no-op and restoring relies on the
user having closed studyllm, as the message says.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

if sys.platform != "win32":
    import fcntl

__all__ = ["LOCK_SUFFIX", "DatabaseInUse", "HomeLock", "lock_path"]

LOCK_SUFFIX = ".lock"


class DatabaseInUse(Exception):
    """The lock is held the other way (a restore while studyllm runs, or the reverse)."""


def lock_path(db: Path) -> Path:
    """``studyllm.db.lock`` beside ``studyllm.db``. It never moves with a restore."""
    db = Path(db)
    return db.with_name(db.name + LOCK_SUFFIX)


class HomeLock:
    """One advisory lock on a database's lock file, shared or exclusive."""

    def __init__(self, db: Path):
        self.path = lock_path(db)
        self._fd: int | None = None
        self.exclusive = False

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, *, exclusive: bool = False, timeout: float = 0.0) -> HomeLock:
        """Take the lock, waiting up to ``timeout`` seconds. Raises :class:`DatabaseInUse`
        if it is still held the other way after that, ``OSError`` if the lock file can't
        be created (a read-only folder)."""
        if self._fd is not None:
            raise RuntimeError("this lock is already held")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        if sys.platform == "win32":  # pragma: no cover - no flock: the lock does nothing
            self._fd, self.exclusive = fd, exclusive
            return self
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            try:
                fcntl.flock(fd, mode)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise DatabaseInUse(str(self.path)) from None
                time.sleep(0.05)
            except OSError:
                os.close(fd)
                raise
        self._fd, self.exclusive = fd, exclusive
        return self

    def release(self, _close: Callable[[int], None] = os.close) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            _close(fd)  # closing the descriptor drops the flock (bound early: __del__ may run at exit)

    def __enter__(self) -> HomeLock:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def __del__(self) -> None:  # a Store dropped without close() still lets a restore run
        try:
            self.release()
        except OSError:
            pass
