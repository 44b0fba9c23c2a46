"""The start-up deck re-scan, skipped when nothing it reads has changed (issue #23).

``studyllm`` re-scans the shipped decks, the deck folders and the tracked sources at every
start (:func:`studyllm.store.importer.sync_folders`). When no file changed that scan reads
each file, finds its hash unchanged and does nothing, yet importing the importer alone costs
~25 ms of the start. :func:`rescan_if_changed` first takes a *stamp* of everything the scan
depends on, without reading a file or importing the importer:

- each folder and tracked path, whether it exists, and, walking the folders as
  ``collect_files`` does (hidden folders and files left out, symbolic links to folders not
  followed), every folder's and every ``*.md`` file's inode, device, size, modification and
  change times (``st_ctime`` can't be set back, so even ``touch -r`` or ``cp -p`` shows);
- the settings the scan reads (``deck_folders``, ``max_deck_mb``) and studyllm's version;
- every deck row the scan compares files with (key, source, content hash, archive flag,
  mode, last update), as they were right after the last full scan.

When the stamp equals the one saved by the last full scan, that scan would do nothing and
is skipped. Otherwise the full scan runs, and its stamp (the files' part taken *before* it
read anything, so an edit made while it ran shows as a change next time) is saved, but only
when the scan had nothing to say (no broken file, no missing source: those warnings must
show at every start) and no time in the stamp is within :data:`RECENT_NS` of now: an edit in
the same clock tick as the stamp's ``stat`` could leave size and times unchanged, so a file
touched in the last two seconds is always read again at the next start.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from studyllm.store.db import DatabaseError, StoreError, write_tx
from studyllm.store.service import Store
from studyllm.store.sources import deck_folders, tracked_paths

__all__ = ["STAMP_KEY", "rescan_if_changed", "scan_roots", "stamp"]

STAMP_KEY = "deck_scan_stamp"  # the meta row holding the last full scan's stamp
RECENT_NS = 2_000_000_000  # a file or folder changed this recently is read again next time


def scan_roots(store: Store) -> list[tuple[Path, bool]]:
    """What :func:`~studyllm.store.importer.sync_folders` scans: the deck folders (the shipped
    decks, then the setting's) and the tracked sources, each with whether it is taken as a
    folder."""
    return [(folder, True) for folder in deck_folders(store)] + tracked_paths(store)


def _entry(path: str) -> tuple[str, int]:
    """One line of the stamp, and the latest of its times (0 when it can't be read)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return f"{path}\t!{exc.errno}", 0
    return (f"{path}\t{st.st_dev}:{st.st_ino}:{st.st_mode:o}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}",
            max(st.st_mtime_ns, st.st_ctime_ns))


def _walk(root: Path) -> Iterator[str]:
    """The folders and ``*.md`` files ``collect_files`` would see under ``root``, in a fixed order."""
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        yield folder
        yield from (os.path.join(folder, n) for n in sorted(names)
                    if n.lower().endswith(".md") and not n.startswith("."))


def stamp(store: Store) -> tuple[str, str, bool]:
    """``(files, decks, steady)``: the files' and settings' part of the stamp, the deck rows'
    part, and whether every time in it is older than :data:`RECENT_NS`."""
    import studyllm

    lines = [f"studyllm {studyllm.__version__}", f"max_deck_mb {store.setting('max_deck_mb')!r}"]
    newest = 0
    for root, is_dir in scan_roots(store):
        lines.append(f"{'D' if is_dir else 'F'}\t{root}")
        paths = _walk(root) if is_dir and root.is_dir() else iter([str(root)])
        for path in paths:
            line, latest = _entry(path)
            lines.append(line)
            newest = max(newest, latest)
    return "\n".join(lines), _decks(store), newest < time.time_ns() - RECENT_NS


def _decks(store: Store) -> str:
    with store.database.connect() as conn:
        return "\n".join("\t".join(map(str, row)) for row in conn.execute(
            "SELECT id, key, source_path, content_hash, archived, mode, updated_at FROM deck ORDER BY id"))


def _saved(store: Store) -> str | None:
    with store.database.connect() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (STAMP_KEY,)).fetchone()
    return row[0] if row else None


def rescan_if_changed(store: Store, scan: Callable[[Store], list[str]]) -> list[str]:
    """Run ``scan`` (the full re-scan, returning its warnings) unless the stamp shows that
    nothing it reads changed since the last full scan that found nothing wrong; returns the
    warnings (none when skipped)."""
    files, decks, steady = stamp(store)
    saved = _saved(store)
    if steady and saved == f"{files}\n\n{decks}":
        return []
    notes = scan(store)
    value = f"{files}\n\n{_decks(store)}" if steady and not notes else None  # the deck rows as the scan left them
    if value != saved:
        try:
            with write_tx(store.database) as conn:
                if value is None:
                    conn.execute("DELETE FROM meta WHERE key = ?", (STAMP_KEY,))
                else:
                    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (STAMP_KEY, value))
        except (DatabaseError, StoreError, OSError):
            pass  # a full disk or a busy database: no stamp, and the next start scans again; the app starts
    return notes
