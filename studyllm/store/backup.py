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
from studyllm.store.atomic import fsync_dir
from studyllm.store.db import SQLITE_HEADER, StoreError

if TYPE_CHECKING:
    from studyllm.store.service import Store

__all__ = [
    "BACKUP_DIR",
    "BackupInfo",
    "DatabaseProblem",
    "auto_backup",
    "backup_dir",
    "check_database",
    "create_backup",
    "inspect_database",
    "list_backups",
    "newest_good_backup",
    "recovery_hint",
    "restore_backup",
    "studyllm_problem",
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


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


@dataclass(frozen=True)
class DatabaseProblem:
    """Why a database file did not pass :func:`inspect_database`. ``damaged`` is True when
    the file's content is at fault (not SQLite, empty, failing its integrity check), False
    when it could not be checked here (no permission, a read-only or full disk, a lock):
    only the first is a reason to restore a backup."""

    text: str
    damaged: bool

    def __str__(self) -> str:
        return self.text


def inspect_database(path: Path) -> DatabaseProblem | None:
    """``None`` when ``path`` is a healthy SQLite file, else what is wrong. Opens the file
    read-only and changes nothing."""
    from studyllm.store.db import error_kind

    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        return DatabaseProblem(f"cannot read it ({exc.strerror or exc})", damaged=False)
    if size == 0:
        return DatabaseProblem("the file is empty", damaged=True)
    if head != SQLITE_HEADER:
        return DatabaseProblem("not an SQLite database", damaged=True)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        return DatabaseProblem(f"cannot open it ({exc})", damaged=error_kind(exc) == "damaged")
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.Error as exc:
        if error_kind(exc) == "damaged":
            return DatabaseProblem(f"damaged ({exc})", damaged=True)
        return DatabaseProblem(f"could not be checked here ({exc}); the file itself may well be fine",
                               damaged=False)
    finally:
        conn.close()
    if [r[0] for r in rows] != ["ok"]:
        detail = "; ".join(str(r[0]) for r in rows[:3])
        return DatabaseProblem(f"damaged (integrity check: {detail})", damaged=True)
    return None


def check_database(path: Path) -> str | None:
    """``None`` when ``path`` is a healthy SQLite file, else a short description of the
    problem (see :func:`inspect_database` to tell damage from "can't check it here")."""
    problem = inspect_database(path)
    return None if problem is None else problem.text


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
        fsync_dir(folder)
    except sqlite3.Error as exc:
        from studyllm.store.db import error_kind, explain

        if error_kind(exc) == "damaged":
            raise StoreError(f"could not back up {source}: {explain(exc)}") from None
        raise StoreError(f"could not write a backup in {folder}: {explain(exc)}") from None
    except OSError as exc:
        raise StoreError(f"could not write a backup in {folder}: can't write here ({exc.strerror or exc}); "
                         f"{source} itself is unchanged") from None
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


_SIDE_FILES = ("-wal", "-shm", "-journal")
# The tables every studyllm database has (schema version 1 onwards).
STUDYLLM_TABLES = frozenset({"meta", "setting", "deck", "card", "card_state", "review_log"})


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def studyllm_problem(path: Path) -> str | None:
    """``None`` when the SQLite file at ``path`` is a studyllm database this version can open,
    else why not (another program's database, a newer studyllm's, a schema version that is
    not a number). Read-only; call after :func:`check_database` passed."""
    from studyllm.store import db as dbmod

    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        return f"cannot open it ({exc})"
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        row = None
        if "meta" in tables:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.Error as exc:
        return f"cannot read it ({exc})"
    finally:
        conn.close()
    if row is None:
        names = ", ".join(sorted(tables)[:5]) or "none"
        return f"it is an SQLite database, but not a studyllm one (no studyllm schema version; its tables: {names})"
    try:
        version = int(str(row[0]).strip())
    except ValueError:
        return f"its studyllm schema version {str(row[0])[:40]!r} is not a number"
    if version > dbmod.SCHEMA_VERSION:
        return (f"it was made by a newer studyllm (schema version {version}; this one reads up to "
                f"{dbmod.SCHEMA_VERSION}); upgrade studyllm first")
    missing = STUDYLLM_TABLES - tables
    if missing:
        return f"it is not a complete studyllm database (tables missing: {', '.join(sorted(missing))})"
    return None


def restore_backup(home: Path, backup_path: Path) -> Path | None:
    """Make ``backup_path`` the current database of ``home``.

    Refused, with nothing changed, when ``backup_path`` is the live database itself, when it
    fails its integrity check or is not a studyllm database (of this version or older), and
    while any studyllm process has the database open (see :mod:`studyllm.store.lock`). The
    backup is copied and checked under a temporary name first; only then is the current
    database (if any) moved aside with its ``-wal``/``-shm`` files, never overwritten or
    deleted, and the copy renamed into place. Returns where the old database was moved
    (``None`` if there was none)."""
    from studyllm.store.lock import DatabaseInUse, HomeLock

    home = Path(home)
    backup_path = Path(backup_path)
    db = db_path(home)
    if any(_same_file(backup_path, Path(f"{db}{suffix}")) for suffix in ("", *_SIDE_FILES)
           if Path(f"{db}{suffix}").exists()):
        raise StoreError(f"{backup_path} is the live database itself, not a backup: there is nothing to restore "
                         "(nothing was changed); pick a file from `studyllm backup`")
    problem = check_database(backup_path)
    if problem:
        raise StoreError(f"{backup_path}: the backup can't be restored: {problem}")
    problem = studyllm_problem(backup_path)
    if problem:
        raise StoreError(f"{backup_path}: the backup can't be restored: {problem}; nothing was changed")
    try:
        home.mkdir(parents=True, exist_ok=True)
        lock = HomeLock(db).acquire(exclusive=True)
    except DatabaseInUse:
        raise StoreError(
            f"studyllm is running on {db} (another studyllm window or command has it open); close it and "
            "restore again. Nothing was changed."
        ) from None
    except OSError as exc:
        raise StoreError(f"{home}: can't write here ({exc.strerror or exc}); nothing was changed") from None
    tmp = home / f".{DB_NAME}.restore.tmp"
    moved: Path | None = None
    with lock:
        try:
            tmp.unlink(missing_ok=True)
            shutil.copyfile(backup_path, tmp)
            _fsync_file(tmp)
            problem = check_database(tmp)
            if problem:
                raise StoreError(f"{backup_path}: the copy of the backup failed its check ({problem}); "
                                 "nothing was changed")
            if db.exists():
                label = "damaged" if check_database(db) else "replaced"
                moved = _aside_name(db, label)
                for suffix in _SIDE_FILES:
                    side = Path(f"{db}{suffix}")
                    if side.exists():
                        os.replace(side, f"{moved}{suffix}")
                os.replace(db, moved)
            else:
                for suffix in _SIDE_FILES:
                    side = Path(f"{db}{suffix}")
                    if side.exists():  # stray files of a missing database must not be replayed into the backup
                        os.replace(side, f"{_aside_name(db, 'orphan')}{suffix}")
            os.replace(tmp, db)
            fsync_dir(home)
        except OSError as exc:
            if moved is not None and not db.exists() and moved.exists():
                for suffix in ("", *_SIDE_FILES):  # put the current database back as it was
                    if Path(f"{moved}{suffix}").exists():
                        os.replace(f"{moved}{suffix}", f"{db}{suffix}")
            raise StoreError(f"{home}: can't write here ({exc.strerror or exc}); the current database was "
                             "left in place") from None
        finally:
            tmp.unlink(missing_ok=True)
    return moved


def recovery_hint(home: Path) -> str | None:
    """When the database in ``home`` is damaged or not a database: a sentence naming the
    newest good backup and the command that restores it (or saying there is none). ``None``
    if the file is healthy, or can't be checked from here (permissions, a full or read-only
    disk): restoring a backup over it would not help."""
    db = db_path(Path(home))
    if not db.exists():
        return None
    problem = inspect_database(db)
    if problem is None or not problem.damaged:  # healthy, or only unreadable from here: restoring won't help
        return None
    good = newest_good_backup(home)
    if good is None:
        return "no good backup was found in " + str(backup_dir(home))
    return (
        f"the newest good backup is {good.name}; restore it with: studyllm backup --restore {good.name} "
        "(the damaged file is kept aside, not overwritten)"
    )
