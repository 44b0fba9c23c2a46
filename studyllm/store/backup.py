"""Automatic daily backups of the progress database, and restoring one safely.

* :func:`auto_backup` makes a consistent copy with SQLite's online backup API (so a copy
  taken while another studyllm process is writing is still a valid database) into
  ``<home>/backups/studyllm-YYYYMMDD-HHMMSS.db``, at most once per local calendar day,
  and keeps the newest ``backups_keep`` copies (a setting; 0 turns backups off).
* :func:`restore_backup` never overwrites the current database: it first moves it aside,
  with its ``-wal`` and ``-shm`` files, to ``studyllm.db.damaged-<timestamp>`` (or
  ``studyllm.db.replaced-<timestamp>`` when it was healthy), then puts a verified copy of
  the backup in its place.

The copy is written to a temporary name, checked, synced and renamed, so a crash while
backing up leaves at worst a stray ``.tmp`` file, never a half-written backup.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from studyllm.paths import DB_NAME, db_path
from studyllm.store.db import SQLITE_HEADER, StoreError

if TYPE_CHECKING:
    from studyllm.store.service import Store

__all__ = [
    "BACKUP_DIR",
    "BackupInfo",
    "auto_backup",
    "backup_dir",
    "check_database",
    "create_backup",
    "list_backups",
    "newest_good_backup",
    "recovery_hint",
    "restore_backup",
]

BACKUP_DIR = "backups"
_NAME_RE = re.compile(r"^studyllm-(\d{8})-(\d{6})(?:-(\d+))?\.db$")
_STAMP = "%Y%m%d-%H%M%S"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    name: str
    created: datetime  # local wall-clock time written in the name (naive)
    size: int

    @property
    def day(self) -> str:
        return self.created.strftime("%Y-%m-%d")


def backup_dir(home: Path) -> Path:
    return Path(home) / BACKUP_DIR


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def check_database(path: Path) -> str | None:
    """``None`` when ``path`` is a healthy SQLite file, else a short description of the problem.
    Opens the file read-only and changes nothing."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    if size == 0:
        return "the file is empty"
    if head != SQLITE_HEADER:
        return "not an SQLite database"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        return f"cannot open it ({exc})"
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.Error as exc:
        return f"damaged ({exc})"
    finally:
        conn.close()
    if [r[0] for r in rows] != ["ok"]:
        detail = "; ".join(str(r[0]) for r in rows[:3])
        return f"damaged (integrity check: {detail})"
    return None


def list_backups(home: Path) -> list[BackupInfo]:
    """Backups in ``<home>/backups``, newest first. Files not named by studyllm are ignored."""
    folder = backup_dir(home)
    if not folder.is_dir():
        return []
    out = []
    for entry in folder.iterdir():
        match = _NAME_RE.match(entry.name)
        if not match or not entry.is_file():
            continue
        try:
            created = datetime.strptime(f"{match[1]}-{match[2]}", _STAMP)
            size = entry.stat().st_size
        except (ValueError, OSError):
            continue
        out.append(BackupInfo(path=entry, name=entry.name, created=created, size=size))
    out.sort(key=lambda b: (b.created, b.name), reverse=True)
    return out


def newest_good_backup(home: Path) -> Path | None:
    """The newest backup that passes ``PRAGMA integrity_check``, or ``None``."""
    for info in list_backups(home):
        if check_database(info.path) is None:
            return info.path
    return None


def _copy_with_backup_api(source: Path, target: Path) -> None:
    src = sqlite3.connect(source, timeout=10)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            # a backup is a single self-contained file: no -wal next to it
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def create_backup(source: Path, folder: Path, stamp: datetime) -> Path:
    """Copy the database at ``source`` into ``folder`` named after ``stamp`` (local time)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = f"studyllm-{stamp.strftime(_STAMP)}"
    final = folder / f"{base}.db"
    n = 1
    while final.exists():
        n += 1
        final = folder / f"{base}-{n}.db"
    tmp = folder / f".{final.name}.tmp"
    tmp.unlink(missing_ok=True)
    try:
        _copy_with_backup_api(source, tmp)
        problem = check_database(tmp)
        if problem:
            raise StoreError(f"the backup copy failed its check ({problem}); no backup was made")
        _fsync_file(tmp)
        os.replace(tmp, final)
        _fsync_dir(folder)
    except sqlite3.Error as exc:
        raise StoreError(f"could not back up {source}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return final


def prune_backups(home: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups. Returns the removed paths."""
    removed = []
    for info in list_backups(home)[max(0, keep):]:
        try:
            info.path.unlink()
            removed.append(info.path)
        except OSError:
            pass
    return removed


def auto_backup(store: Store, *, keep: int | None = None) -> Path | None:
    """Back up the store's database once per local calendar day (call at start-up).

    Returns the new backup's path, or ``None`` when there was nothing to do (an in-memory
    store, backups turned off, or today's backup already exists)."""
    if store.path is None or store.is_temporary:
        return None
    keep = store.setting("backups_keep") if keep is None else keep
    if keep <= 0:
        return None
    home = Path(store.path).parent
    local_now = store.clock.now().astimezone(store.clock.zone())
    stamp = local_now.replace(tzinfo=None)
    if any(b.created.date() == stamp.date() for b in list_backups(home)):
        return None
    path = create_backup(Path(store.path), backup_dir(home), stamp)
    prune_backups(home, keep)
    return path


def _aside_name(db: Path, label: str) -> Path:
    stamp = datetime.now(UTC).strftime(_STAMP)
    candidate = db.with_name(f"{db.name}.{label}-{stamp}")
    n = 1
    while any(Path(f"{candidate}{s}").exists() for s in ("", "-wal", "-shm")):
        n += 1
        candidate = db.with_name(f"{db.name}.{label}-{stamp}-{n}")
    return candidate


def resolve_backup(home: Path, name: str | os.PathLike[str]) -> Path:
    """A backup given by file name (looked up in ``<home>/backups``) or by path."""
    candidate = Path(name)
    if candidate.parent == Path(".") and not candidate.exists():
        candidate = backup_dir(home) / candidate.name
    if not candidate.is_file():
        known = ", ".join(b.name for b in list_backups(home)[:5]) or "none"
        raise StoreError(f"no backup named {str(name)!r} (newest backups: {known})")
    return candidate


def restore_backup(home: Path, backup_path: Path) -> Path | None:
    """Make ``backup_path`` the current database of ``home``.

    The backup is verified first. The current database (if any) is moved aside with its
    ``-wal``/``-shm`` files, never overwritten or deleted. Returns where it was moved
    (``None`` if there was no database). Close studyllm before restoring."""
    home = Path(home)
    backup_path = Path(backup_path)
    problem = check_database(backup_path)
    if problem:
        raise StoreError(f"{backup_path}: the backup can't be restored: {problem}")
    db = db_path(home)
    moved: Path | None = None
    if db.exists():
        label = "damaged" if check_database(db) else "replaced"
        moved = _aside_name(db, label)
        for suffix in ("-wal", "-shm", "-journal"):
            side = Path(f"{db}{suffix}")
            if side.exists():
                os.replace(side, f"{moved}{suffix}")
        os.replace(db, moved)
    else:
        for suffix in ("-wal", "-shm", "-journal"):
            side = Path(f"{db}{suffix}")
            if side.exists():  # stray files of a missing database must not be replayed into the backup
                os.replace(side, f"{_aside_name(db, 'orphan')}{suffix}")
    tmp = home / f".{DB_NAME}.restore.tmp"
    tmp.unlink(missing_ok=True)
    try:
        shutil.copyfile(backup_path, tmp)
        _fsync_file(tmp)
        os.replace(tmp, db)
        _fsync_dir(home)
    finally:
        tmp.unlink(missing_ok=True)
    return moved


def recovery_hint(home: Path) -> str | None:
    """When the database in ``home`` is damaged or not a database: a sentence naming the
    newest good backup and the command that restores it. ``None`` if the file is healthy
    or no good backup exists."""
    db = db_path(Path(home))
    if not db.exists() or check_database(db) is None:
        return None
    good = newest_good_backup(home)
    if good is None:
        return "no good backup was found in " + str(backup_dir(home))
    return (
        f"the newest good backup is {good.name}; restore it with: studyllm backup --restore {good.name} "
        "(the damaged file is kept aside, not overwritten)"
    )
