"""``studyllm backup``: list, create and restore backups of the progress database."""

from __future__ import annotations

import argparse
import sys

PROG = "studyllm backup"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "backup",
        help="list, make or restore backups of your progress",
        description=(
            "Without options, list the backups (newest first). studyllm makes one automatically "
            "at start-up, at most once a day, and keeps the newest `backups_keep` (a setting). "
            "Restoring never overwrites the current database: it is moved aside first."
        ),
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--create", action="store_true", help="make a backup now")
    group.add_argument("--restore", metavar="NAME", help="restore this backup (a name from the list, or a path)")
    p.add_argument("--verify", action="store_true", help="when listing, check each backup's integrity")
    p.set_defaults(func=run)


def _size(n: int) -> str:
    for unit, factor in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n} B"


def run(args: argparse.Namespace) -> int:
    from studyllm.cli_common import echo, shown
    from studyllm.paths import db_path, resolve_home
    from studyllm.store.backup import (
        backup_dir,
        check_database,
        create_backup,
        inspect_database,
        list_backups,
        prune_backups,
        resolve_backup,
        restore_backup,
    )
    from studyllm.store.db import StoreError

    home = resolve_home(getattr(args, "home", None))
    if args.restore:
        backup = resolve_backup(home, args.restore)
        moved = restore_backup(home, backup)
        echo(f"Restored {shown(backup.name)} as {shown(db_path(home))}.")
        if moved is not None:
            echo(f"The previous database was kept as {shown(moved)} (with its -wal/-shm files, if any).")
        return 0
    if args.create:

        from studyllm.store import Store

        db = db_path(home)
        if not db.exists():
            raise StoreError(f"{db}: there is no database to back up yet")
        found = inspect_database(db)
        if found is not None and found.damaged:
            raise StoreError(f"{db}: {found}; not backing it up (restore a good backup instead)")
        if found is not None:
            raise StoreError(f"{db}: can't write here: the file {found}; not backing it up. "
                             f"Check that you can read and write {home}")
        store = Store.open(home)
        try:
            stamp = store.clock.now().astimezone(store.clock.zone()).replace(tzinfo=None)
            path = create_backup(db, backup_dir(home), stamp)
            keep = store.setting("backups_keep")
        finally:
            store.close()
        if keep > 0:
            prune_backups(home, max(keep, 1))
        echo(f"Backup written: {shown(path)}")
        return 0
    backups = list_backups(home)
    if not backups:
        echo(f"No backups yet in {shown(backup_dir(home))}. Make one with: studyllm backup --create")
        return 0
    echo(f"Backups in {shown(backup_dir(home))} (newest first):")
    for b in backups:
        line = f"  {b.name}  {b.created:%Y-%m-%d %H:%M:%S}  {_size(b.size):>9}"
        if args.verify:
            problem = check_database(b.path)
            line += "  ok" if problem is None else f"  BAD: {shown(problem)}"
        echo(line)
    echo("Restore one with: studyllm backup --restore NAME")
    return 0


if __name__ == "__main__":  # pragma: no cover
    from studyllm.cli import main

    sys.exit(main(["backup", *sys.argv[1:]]))
