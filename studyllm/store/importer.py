"""Import Markdown decks into the store, keeping progress across edits.

Each file is synced in one transaction: a file with errors changes nothing, and the
other files still import. Nothing is ever written into the user's Markdown.

Identity in layers (see ``studyllm.decks.identity``): exact content hash, then the
normalised hash, then same heading path and similar text, otherwise a new card.
Cards that disappear from the file are archived with their history and come back
with it when the text returns.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studyllm.decks.identity import (
    SIMILARITY_THRESHOLD,
    card_text,
    join_card_text,
    normalise,
    similarity,
    stable_uid,
    text_hash,
)
from studyllm.decks.model import DeckError, ParsedDeck
from studyllm.decks.source import DeckReadError, read_deck_bytes, what_is
from studyllm.store import constants as m
from studyllm.store.db import Connection, dumps, grow_page_cache, write_tx
from studyllm.store.service import Store, queue_for

DECK_SLOT = 10_000_000  # card_state.position = deck position * DECK_SLOT + card position

Progress = Callable[[int, int, str], None]


@dataclass
class DeckReport:
    path: str
    key: str = ""
    title: str = ""
    new: int = 0
    unchanged: int = 0
    updated: int = 0
    moved: int = 0
    archived: int = 0
    restored: int = 0
    skipped: bool = False  # file content identical to the last import: not parsed at all
    errors: list[DeckError] = field(default_factory=list)
    warnings: list[DeckError] = field(default_factory=list)
    card_errors: list[DeckError] = field(default_factory=list)  # cards left out (ParsedDeck.skipped)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"{len(self.errors)} error(s), nothing changed"
        if self.skipped:
            return f"unchanged file ({self.unchanged} cards)"
        parts = [f"{self.new} new", f"{self.unchanged} unchanged", f"{self.updated} updated (progress kept)"]
        if self.moved:
            parts.append(f"{self.moved} moved")
        parts.append(f"{self.archived} archived (history kept)")
        if self.restored:
            parts.append(f"{self.restored} restored")
        return ", ".join(parts)


@dataclass
class ImportReport:
    decks: list[DeckReport] = field(default_factory=list)
    dry_run: bool = False

    @property
    def errors(self) -> list[DeckError]:
        return [e for d in self.decks for e in d.errors]

    @property
    def card_errors(self) -> list[DeckError]:
        return [e for d in self.decks for e in d.card_errors]

    @property
    def ok(self) -> bool:
        return not self.errors

    def totals(self) -> dict[str, int]:
        keys = ("new", "unchanged", "updated", "moved", "archived", "restored")
        out = {k: sum(getattr(d, k) for d in self.decks) for k in keys}
        out["errors"] = len(self.errors)
        out["files"] = len(self.decks)
        return out


class _DryRun(Exception):
    pass


def collect_files(paths: Iterable[Path]) -> tuple[list[Path], list[DeckError]]:
    """Expand folders into their ``*.md`` files (recursively, sorted).

    Symlinked folders are not followed, so a link loop can't hang the import. Inside a
    folder, a symlinked file that points outside that folder is refused (a cloned deck
    repository must not pull in ``~/.ssh/...``); files named directly are taken as given.
    A missing path or a link loop is an error for that path only."""
    files: list[Path] = []
    errors: list[DeckError] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            errors.append(DeckError("no such file or folder", path=str(path), hint="check the path"))
            continue
        root: Path | None = None
        if path.is_dir():
            root = path.resolve()
            found: list[Path] = []
            for folder, dirs, names in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(Path(folder) / n for n in names if n.lower().endswith(".md") and not n.startswith("."))
            candidates = sorted(found)
        else:
            candidates = [path]
        for f in candidates:
            try:
                key = f.resolve(strict=True)
            except (RuntimeError, OSError) as exc:
                loop = isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == 40  # ELOOP
                errors.append(DeckError(
                    "symbolic link loop; skipped" if loop else f"cannot open: {getattr(exc, 'strerror', None) or exc}",
                    path=str(f),
                    hint="fix or remove the link"))
                continue
            mode = _mode(key)
            if mode is not None and not stat.S_ISREG(mode):
                errors.append(DeckError(f"{what_is(mode)}, not a regular file; skipped", path=str(f),
                                        hint="only regular files are read as decks"))
                continue
            if root is not None and f.is_symlink() and not key.is_relative_to(root):
                errors.append(DeckError(
                    f"symbolic link to a file outside the deck folder ({key}); skipped", path=str(f),
                    hint="copy the file into the folder, or import it by naming it directly"))
                continue
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files, errors


def _mode(path: Path) -> int | None:
    try:
        return os.stat(path).st_mode
    except OSError:
        return None


def import_paths(
    store: Store,
    paths: Iterable[Path],
    *,
    dry_run: bool = False,
    outline: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    mode: str | None = None,
    strict: bool = False,
) -> ImportReport:
    files, path_errors = collect_files(paths)
    report = ImportReport(dry_run=dry_run)
    for err in path_errors:
        report.decks.append(DeckReport(path=err.path, errors=[err]))
    for i, f in enumerate(files):
        if progress:
            progress(i, len(files), str(f))
        report.decks.append(import_file(store, f, dry_run=dry_run, outline=outline, force=force, mode=mode,
                                        strict=strict))
    if progress:
        progress(len(files), len(files), "")
    return report


ANKI_SUFFIXES = (".tsv", ".csv", ".txt")  # Anki "Notes in Plain Text" exports


def import_file(store: Store, path: Path, *, dry_run: bool = False, outline: bool = False, force: bool = False,
                mode: str | None = None, strict: bool = False) -> DeckReport:
    source = str(path.resolve())
    max_bytes = store.setting("max_deck_mb") * 1024 * 1024
    try:
        data = read_deck_bytes(path, max_bytes)  # regular files only (no FIFO, no /dev/zero), at most the limit
    except DeckReadError as exc:
        return DeckReport(path=str(path), errors=[DeckError(str(exc), path=str(path), hint=exc.hint)])
    digest = hashlib.sha256(data).hexdigest()
    if not force and not dry_run and mode is None and not strict:  # --mode / --strict may read it differently
        with store.database.connect() as conn:
            row = conn.execute(
                "SELECT key, title, id FROM deck WHERE source_path = ? AND content_hash = ? AND archived = 0",
                (source, digest),
            ).fetchone()
            if row:
                n = conn.execute(
                    "SELECT count(*) FROM card WHERE deck_id = ? AND archived = 0", (row[2],)
                ).fetchone()[0]
                return DeckReport(path=str(path), key=row[0], title=row[1], unchanged=n, skipped=True)
    # the parsers pull in markdown-it / csv: import on demand
    if path.suffix.lower() in ANKI_SUFFIXES:
        from studyllm.decks.anki_tsv import parse_anki_tsv

        parsed = parse_anki_tsv(path, max_bytes=max_bytes, data=data)
    else:
        from studyllm.decks.parser import parse_bytes

        separators = store.setting("separators") or None
        parsed = parse_bytes(data, str(path), outline=outline, max_bytes=max_bytes, mode=mode, strict=strict,
                             separators=separators)
    parsed.content_hash = digest
    return import_parsed(store, parsed, source_path=source, dry_run=dry_run)


def import_parsed(store: Store, parsed: ParsedDeck, *, source_path: str, dry_run: bool = False) -> DeckReport:
    """Sync one parsed deck into the store in a single transaction."""
    report = DeckReport(path=parsed.path, key=parsed.key, title=parsed.title, warnings=list(parsed.warnings),
                        card_errors=list(parsed.skipped))
    if parsed.errors:
        report.errors = list(parsed.errors)
        return report
    from studyllm.decks.parser import paused_gc

    try:
        with paused_gc(), write_tx(store.database) as conn:
            err = _sync(conn, store, parsed, source_path, report)
            if err:
                report.errors.append(err)
                raise _DryRun  # roll back
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


@dataclass
class _Old:
    id: int
    uid: str
    content_hash: str
    norm_hash: str
    kind: str
    variant: str
    heading_path: str
    text: str
    archived: bool
    line: int
    position: int


def _sync(conn: Connection, store: Store, parsed: ParsedDeck, source_path: str, report: DeckReport) -> DeckError | None:
    now = store.utc_now_iso()
    deck = conn.execute(
        "SELECT id, source_path, position FROM deck WHERE key = ?", (parsed.key,)
    ).fetchone()
    if deck and deck[1] != source_path and deck[1] and Path(deck[1]).exists() and not _same_file(deck[1], source_path):
        return DeckError(
            f"deck id {parsed.key!r} is already used by {deck[1]}",
            path=parsed.path,
            hint=("change its #deck: header line or rename the file"
                  if Path(parsed.path).suffix.lower() in ANKI_SUFFIXES
                  else "give this deck its own `id:` in the front matter"),
        )
    deck_fields = (
        parsed.title, source_path, parsed.content_hash, dumps(list(parsed.tags)), dumps(parsed.options),
        parsed.mode, now,
    )
    if deck is None:
        position = conn.execute("SELECT coalesce(max(position), -1) + 1 FROM deck").fetchone()[0]
        deck_id = conn.execute(
            "INSERT INTO deck (key, title, source_path, content_hash, tags, options, mode, updated_at, position,"
            " archived, created_at) VALUES (?,?,?,?,?,?,?,?,?,0,?) RETURNING id",
            (parsed.key, *deck_fields, position, now),
        ).fetchone()[0]
    else:
        deck_id, position = deck[0], deck[2]
        conn.execute(
            "UPDATE deck SET title=?, source_path=?, content_hash=?, tags=?, options=?, mode=?, updated_at=?,"
            " archived=0 WHERE id=?",
            (*deck_fields, deck_id),
        )

    old_rows = [
        _Old(r[0], r[1], r[2], r[3], r[4], r[5], r[6], text=join_card_text(r[4], r[5], r[7], r[8], r[9]),
             archived=bool(r[10]), line=r[11], position=r[12])
        for r in conn.execute(
            "SELECT id, uid, content_hash, norm_hash, kind, variant, heading_path, front, back, extra,"
            " archived, line, position FROM card WHERE deck_id = ?",
            (deck_id,),
        )
    ]
    o: _Old | None  # an old card, then (below) the old card matched to each parsed one, if any
    by_hash: dict[str, list[_Old]] = defaultdict(list)
    by_norm: dict[str, list[_Old]] = defaultdict(list)
    for o in old_rows:
        by_hash[o.content_hash].append(o)
        by_norm[o.norm_hash].append(o)
    claimed: set[int] = set()

    def take(candidates: list[_Old]) -> _Old | None:
        # prefer a live card over an archived one with the same text
        best = None
        for o in candidates:
            if o.id in claimed:
                continue
            if not o.archived:
                best = o
                break
            best = best or o
        if best is not None:
            claimed.add(best.id)
        return best

    cards = parsed.cards
    texts = [card_text(c) for c in cards]
    hashes = [text_hash(t) for t in texts]
    match: list[_Old | None] = [take(by_hash.get(h, [])) for h in hashes] if old_rows else [None] * len(cards)
    # the normalised hash is only needed to match leftovers and to store with changed/new cards
    norms = [o.norm_hash if o is not None and o.content_hash == h else text_hash(normalise(t))
             for t, h, o in zip(texts, hashes, match, strict=True)]
    path_json: dict[tuple[str, ...], str] = {}
    paths = [path_json.get(c.heading_path) or path_json.setdefault(c.heading_path, dumps(list(c.heading_path)))
             for c in cards]
    if old_rows:
        for i in range(len(cards)):
            if match[i] is None:
                match[i] = take(by_norm.get(norms[i], []))
    unmatched = [i for i in range(len(cards)) if match[i] is None] if old_rows else []
    if unmatched:
        pool: dict[tuple[str, str, str], list[_Old]] = defaultdict(list)
        for o in old_rows:
            if o.id not in claimed:
                pool[(o.kind, o.variant, o.heading_path)].append(o)
        for i in unmatched:
            c = cards[i]
            cands = [o for o in pool.get((c.kind, c.variant, paths[i]), []) if o.id not in claimed]
            if not cands:
                continue
            mine = normalise(texts[i])
            scored = [(similarity(mine, normalise(o.text)), o) for o in cands]
            score, best = max(scored, key=lambda t: t[0])
            if score >= SIMILARITY_THRESHOLD:
                claimed.add(best.id)
                match[i] = best

    taken_uids = {o.uid for o in old_rows}
    next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM card").fetchone()[0]
    if len(cards) > 1000:  # a bulk write: keep the card indexes' pages in memory
        grow_page_cache(conn, next_id + len(cards))
    new_cards: list[tuple] = []
    new_states: list[tuple] = []
    updates: list[tuple] = []
    restores: list[int] = []
    state_pos: list[tuple] = []
    for i, c in enumerate(cards):
        o = match[i]
        gpos = position * DECK_SLOT + i
        row = (
            c.kind, c.variant, c.front, c.back, dumps(c.extra) if c.extra else "{}", paths[i],
            dumps(list(c.tags)) if c.tags else "[]", c.line, i, hashes[i], norms[i],
        )
        if o is None:
            uid = stable_uid(parsed.key, hashes[i], taken_uids)
            taken_uids.add(uid)
            new_cards.append((next_id, uid, deck_id, *row, now, now))
            new_states.append((next_id, deck_id, gpos))
            next_id += 1
            report.new += 1
            continue
        if o.archived:
            restores.append(o.id)
            report.restored += 1
        if o.content_hash != hashes[i]:
            report.updated += 1
        elif o.heading_path != paths[i]:
            report.moved += 1
        else:
            report.unchanged += 1
        if (o.content_hash != hashes[i] or o.heading_path != paths[i] or o.line != c.line or o.position != i
                or o.archived):
            updates.append((*row, now, o.id))
            state_pos.append((gpos, deck_id, o.id))
    to_archive = [o.id for o in old_rows if o.id not in claimed and not o.archived]
    report.archived = len(to_archive)

    if new_cards:
        conn.executemany(
            "INSERT INTO card (id, uid, deck_id, kind, variant, front, back, extra, heading_path, tags, line,"
            " position, content_hash, norm_hash, created_at, updated_at, archived)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
            new_cards,
        )
        conn.executemany(
            f"INSERT INTO card_state (card_id, deck_id, position, queue, repetitions, ef_centi, interval, reviews,"
            f" lapses, suspended, leech) VALUES (?,?,?,{m.QUEUE_NEW},0,250,0,0,0,0,0)",
            new_states,
        )
    if updates:
        conn.executemany(
            "UPDATE card SET kind=?, variant=?, front=?, back=?, extra=?, heading_path=?, tags=?, line=?,"
            " position=?, content_hash=?, norm_hash=?, updated_at=?, archived=0 WHERE id=?",
            updates,
        )
        conn.executemany("UPDATE card_state SET position=?, deck_id=? WHERE card_id=?", state_pos)
    for cid in restores:
        st = conn.execute(
            "SELECT reviews, repetitions, suspended FROM card_state WHERE card_id = ?", (cid,)
        ).fetchone()
        q = queue_for(reviews=st[0], repetitions=st[1], suspended=bool(st[2]), archived=False)
        conn.execute("UPDATE card_state SET queue = ? WHERE card_id = ?", (q, cid))
    if to_archive:
        conn.executemany("UPDATE card SET archived = 1, updated_at = ? WHERE id = ?", [(now, i) for i in to_archive])
        conn.executemany(
            f"UPDATE card_state SET queue = {m.QUEUE_ARCHIVED} WHERE card_id = ?", [(i,) for i in to_archive]
        )
    return None


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def deck_folders(store: Store) -> list[Path]:
    from studyllm.paths import shipped_decks_dir

    folders = []
    shipped = shipped_decks_dir()
    if shipped:
        folders.append(shipped)
    folders.extend(Path(p).expanduser() for p in store.setting("deck_folders"))
    return folders


def sync_folders(store: Store, progress: Progress | None = None) -> ImportReport:
    """Re-scan the shipped decks and the user's deck folders (start-up). Unchanged files are
    skipped by content hash without parsing; decks whose file is gone are archived."""
    folders = [f for f in deck_folders(store) if f.is_dir()]
    report = import_paths(store, folders, progress=progress)
    seen = {str(Path(d.path).resolve()) for d in report.decks}
    roots = [str(f.resolve()) + os.sep for f in folders]
    with store.database.connect() as conn:
        gone = [
            (did, src)
            for did, src in conn.execute("SELECT id, source_path FROM deck WHERE archived = 0")
            if src and any(src.startswith(r) for r in roots) and src not in seen and not Path(src).exists()
        ]
    for did, _src in gone:
        archive_deck(store, did)
    return report


def archive_deck(store: Store, deck_id: int) -> None:
    """Archive a deck whose file is gone: its cards leave the queue, history is kept."""
    with write_tx(store.database) as conn:
        conn.execute("UPDATE deck SET archived = 1 WHERE id = ?", (deck_id,))
        conn.execute("UPDATE card SET archived = 1 WHERE deck_id = ?", (deck_id,))
        conn.execute(f"UPDATE card_state SET queue = {m.QUEUE_ARCHIVED} WHERE deck_id = ?", (deck_id,))


def report_dict(report: ImportReport) -> dict[str, Any]:
    return {
        "dry_run": report.dry_run,
        "totals": report.totals(),
        "decks": [
            {
                "path": d.path, "key": d.key, "title": d.title, "new": d.new, "unchanged": d.unchanged,
                "updated": d.updated, "moved": d.moved, "archived": d.archived, "restored": d.restored,
                "skipped": d.skipped, "errors": [str(e) for e in d.errors], "warnings": [str(w) for w in d.warnings],
                "card_errors": [str(e) for e in d.card_errors],
            }
            for d in report.decks
        ],
    }
