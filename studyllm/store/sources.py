"""Tracked sources: every file or folder given to ``studyllm import`` is remembered and
re-scanned at start-up (with the shipped decks and the ``deck_folders`` setting).

A tracked path that is missing is reported and its decks are kept as they are (not
archived) until it comes back or the learner forgets it; a deck file moved or renamed is
taken over by its new file (same deck id, or the same cards: see the importer).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from studyllm.paths import expand_user
from studyllm.store import constants as m
from studyllm.store.db import write_tx
from studyllm.store.service import Store


@dataclass(frozen=True)
class SourceInfo:
    path: str
    is_dir: bool
    decks: int
    cards: int
    added_at: str
    last_import_at: str | None
    state: str  # "ok", "missing" or "moved"
    moved_to: str | None = None


def _key(path: Path) -> str:
    return str(expand_user(path).resolve())


def _under(src: str, root: str, is_dir: bool) -> bool:
    return src.startswith(root.rstrip(os.sep) + os.sep) if is_dir else src == root


def track(store: Store, paths: list[Path]) -> None:
    """Remember ``paths`` (existing files and folders) as tracked sources, stamped now."""
    now = store.utc_now_iso()
    rows = [(_key(p), int(p.is_dir()), now, now) for p in paths if p.is_dir() or p.is_file()]
    if not rows:
        return
    with write_tx(store.database) as conn:
        conn.executemany(
            "INSERT INTO source (path, is_dir, added_at, last_import_at, state) VALUES (?,?,?,?,'ok')"
            " ON CONFLICT(path) DO UPDATE SET last_import_at = excluded.last_import_at, is_dir = excluded.is_dir,"
            " state = 'ok', moved_to = NULL",
            rows,
        )


def deck_folders(store: Store) -> list[Path]:
    """The folders the re-scan reads whole: the shipped decks, then the ``deck_folders`` setting's."""
    from studyllm.paths import shipped_decks_dir

    folders = []
    shipped = shipped_decks_dir()
    if shipped:
        folders.append(shipped)
    folders.extend(expand_user(p, strict=False) for p in store.setting("deck_folders"))
    return folders


def tracked_paths(store: Store) -> list[tuple[Path, bool]]:
    with store.database.connect() as conn:
        return [(Path(p), bool(d)) for p, d in conn.execute("SELECT path, is_dir FROM source ORDER BY path")]


def mark_scanned(store: Store, found: list[str], missing: list[str]) -> None:
    now = store.utc_now_iso()
    with write_tx(store.database) as conn:
        if found:
            conn.executemany("UPDATE source SET last_import_at = ?, state = 'ok', moved_to = NULL WHERE path = ?",
                                 [(now, p) for p in found])
        if missing:
            conn.executemany("UPDATE source SET state = 'missing' WHERE path = ? AND state = 'ok'",
                                 [(p,) for p in missing])


def list_sources(store: Store) -> list[SourceInfo]:
    """Every tracked source with its decks, cards and state as found now."""
    with store.database.connect() as conn:
        rows = conn.execute(
            "SELECT path, is_dir, added_at, last_import_at, state, moved_to FROM source ORDER BY path").fetchall()
        decks = conn.execute(
            "SELECT d.source_path, count(c.id) FROM deck d LEFT JOIN card c ON c.deck_id = d.id AND c.archived = 0"
            " WHERE d.archived = 0 GROUP BY d.id").fetchall()
    out = []
    for path, is_dir, added, last, state, moved_to in rows:
        mine = [(src, n) for src, n in decks if src and _under(src, path, bool(is_dir))]
        if Path(path).exists():
            state, moved_to = "ok", None
        elif state != "moved":
            state = "missing"
        out.append(SourceInfo(path=path, is_dir=bool(is_dir), decks=len(mine), cards=sum(n for _, n in mine),
                              added_at=added, last_import_at=last, state=state, moved_to=moved_to))
    return out


def note_moves(store: Store, moves: list[tuple[str, str]]) -> None:
    """A tracked file's deck was taken over by another file (``(old path, new path)``): the old
    source is marked moved, and the new file is tracked in its place."""
    if not moves:
        return
    now = store.utc_now_iso()
    with write_tx(store.database) as conn:
        for old, new in moves:
            hit = conn.execute("SELECT 1 FROM source WHERE path = ? AND is_dir = 0", (old,)).fetchone()
            if hit:
                conn.execute("UPDATE source SET state = 'moved', moved_to = ? WHERE path = ?", (new, old))
                conn.execute(
                    "INSERT INTO source (path, is_dir, added_at, last_import_at, state) VALUES (?,0,?,?,'ok')"
                    " ON CONFLICT(path) DO NOTHING", (new, now, now))


def forget(store: Store, path: str | Path) -> tuple[str, int]:
    """Stop tracking ``path``. Decks under it whose files are gone are archived now (their
    history is kept and comes back if the file is imported again); decks whose files still
    exist stay as they are. Returns (the path forgotten, decks archived)."""
    raw = str(path)
    with write_tx(store.database) as conn:
        rows = conn.execute("SELECT path, is_dir FROM source").fetchall()
        candidates = {raw, _key(Path(raw))}
        hit = next(((p, d) for p, d in rows if p in candidates), None)
        if hit is None:
            raise KeyError(raw)
        src, is_dir = hit
        conn.execute("DELETE FROM source WHERE path = ?", (src,))
        others = [(p, bool(d)) for p, d in rows if p != src]
        archived = 0
        for did, deck_src in conn.execute(
            "SELECT id, source_path FROM deck WHERE archived = 0").fetchall():
            if not deck_src or not _under(deck_src, src, bool(is_dir)) or Path(deck_src).exists():
                continue
            if any(_under(deck_src, p, d) for p, d in others):
                continue  # still tracked through another source
            conn.execute("UPDATE deck SET archived = 1 WHERE id = ?", (did,))
            conn.execute("UPDATE card SET archived = 1 WHERE deck_id = ?", (did,))
            conn.execute(f"UPDATE card_state SET queue = {m.QUEUE_ARCHIVED} WHERE deck_id = ?", (did,))
            archived += 1
    return src, archived
