"""Import Markdown decks into the store, keeping progress across edits.

Each file is synced in one short write transaction, after its changes were computed on a
read snapshot (no lock held while matching): a file with errors changes nothing, and the
other files still import. Nothing is ever written into the user's Markdown.

Identity: :func:`studyllm.decks.identity.match_cards` (the ladder in ``docs/deck-format.md``).
Cards that disappear from the file are archived with their history and come back with it
when the text returns; a card moved to another file of the same folder keeps its history;
possible rewrites are reported, and linked when the learner confirms them
(:mod:`studyllm.store.links`). Imported paths are tracked (:mod:`studyllm.store.sources`).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, MutableSequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from studyllm.decks.identity import (
    MatchCard,
    card_hashes,
    card_text,
    match_cards,
    norm_text_hash,
    stable_uid,
    text_hash,
)
from studyllm.decks.model import DeckError, ParsedCard, ParsedDeck
from studyllm.decks.source import DeckReadError, read_deck_bytes, what_is
from studyllm.paths import expand_user
from studyllm.store import constants as m
from studyllm.store.db import (
    BULK_INDEX_AFTER,
    Connection,
    StoreError,
    defer_indexes,
    dumps,
    grow_page_cache,
    restore_indexes,
    write_tx,
)
from studyllm.store.links import link_cards
from studyllm.store.service import Store, queue_for
from studyllm.store.sources import deck_folders
from studyllm.store.sync_events import is_sync_copy, publish_deck

DECK_SLOT = 10_000_000  # card_state.position = deck position * DECK_SLOT + card position

Progress = Callable[[int, int, str], None]
# how possible rewrites are decided: "all", "none"/None, or a function given them that
# returns the indexes to link
LinkChoice = str | Callable[[list["RewriteReport"]], Iterable[int]] | None


@dataclass(slots=True)  # one per card of a first import: slots keep 100,000 of them small
class CardChange:
    """One line of the per-card report: what the import did to one card."""

    action: str  # "new", "updated", "moved", "archived", "restored", "linked"
    path: str
    line: int
    front: str  # cut to one line
    uid: str
    layer: str = ""  # which rung of the identity ladder matched it (docs/deck-format.md)
    score: float = 1.0
    old_front: str = ""  # "updated": the front before, when it changed
    old_uid: str = ""  # "linked": the card whose answers were moved here
    hashes: tuple[str, str] = field(default=("", ""), repr=False, compare=False)  # (content, normalised)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "path": self.path, "line": self.line, "front": self.front,
                               "uid": self.uid}
        if self.layer:
            out["matched_by"] = self.layer
            out["similarity"] = self.score
        if self.old_front and self.old_front != self.front:
            out["old_front"] = self.old_front
        if self.old_uid:
            out["old_uid"] = self.old_uid
        return out


class CardChanges(MutableSequence[CardChange]):
    """The per-card report of a first import, kept small: a new deck's ``new`` lines as three
    parallel columns (line numbers in an ``array``, fronts, uids) instead of one
    :class:`CardChange` each (100,000 of them took 14 MB more). Reading gives
    :class:`CardChange` objects, made on the fly; any change but an ``append`` of a new card
    turns it into a plain list of them first."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._lines = array("l")
        self._fronts: list[str] = []
        self._uids: list[str] = []
        self._hashes: dict[int, tuple[str, str]] = {}  # index -> hashes, only where kept
        self._items: list[CardChange] | None = None  # once changed otherwise

    def add_new(self, line: int, front: str, uid: str, hashes: tuple[str, str] | None) -> None:
        if self._items is not None:
            self._items.append(CardChange("new", self._path, line, front, uid, hashes=hashes or ("", "")))
            return
        if hashes is not None:
            self._hashes[len(self._uids)] = hashes
        self._lines.append(line)
        self._fronts.append(front)
        self._uids.append(uid)

    def extend_new(self, lines: list[int], fronts: list[str], uids: list[str],
                   hashes: dict[int, tuple[str, str]]) -> None:
        """:meth:`add_new` for a batch of cards (``hashes`` by index in the batch, only where kept)."""
        if self._items is not None:
            for k, (line, front, uid) in enumerate(zip(lines, fronts, uids, strict=True)):
                self.add_new(line, front, uid, hashes.get(k))
            return
        base = len(self._uids)
        for k, pair in hashes.items():
            self._hashes[base + k] = pair
        self._lines.extend(lines)
        self._fronts.extend(fronts)
        self._uids.extend(uids)

    def _make(self, i: int) -> CardChange:
        return CardChange("new", self._path, self._lines[i], self._fronts[i], self._uids[i],
                          hashes=self._hashes.get(i, ("", "")))

    def _plain(self) -> list[CardChange]:
        if self._items is None:
            self._items = [self._make(i) for i in range(len(self._uids))]
            self._lines, self._fronts, self._uids, self._hashes = array("l"), [], [], {}
        return self._items

    def __len__(self) -> int:
        return len(self._items) if self._items is not None else len(self._uids)

    @overload
    def __getitem__(self, i: int) -> CardChange: ...

    @overload
    def __getitem__(self, i: slice) -> list[CardChange]: ...

    def __getitem__(self, i: int | slice) -> CardChange | list[CardChange]:
        if self._items is not None:
            return self._items[i]
        if isinstance(i, slice):
            return [self._make(k) for k in range(*i.indices(len(self._uids)))]
        return self._make(range(len(self._uids))[i])

    def __iter__(self) -> Iterator[CardChange]:
        if self._items is not None:
            yield from self._items
            return
        for k in range(len(self._uids)):
            yield self._make(k)

    @overload
    def __setitem__(self, i: int, value: CardChange) -> None: ...

    @overload
    def __setitem__(self, i: slice, value: Iterable[CardChange]) -> None: ...

    def __setitem__(self, i: Any, value: Any) -> None:
        self._plain()[i] = value

    def __delitem__(self, i: int | slice) -> None:
        del self._plain()[i]

    def insert(self, index: int, value: CardChange) -> None:
        self._plain().insert(index, value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, CardChanges)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"CardChanges({list(self)!r})"


@dataclass
class RewriteReport:
    """A possible rewrite: a stored card with history and a new card that look like the same
    card but score below the automatic threshold. Linking moves the history onto the new card."""

    old_id: int
    old_uid: str
    old_front: str
    old_back: str
    old_line: int
    old_archived: bool
    new_uid: str
    new_front: str
    new_back: str
    new_line: int
    path: str
    score: float
    reviews: int
    linked: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "old": {"uid": self.old_uid, "line": self.old_line, "front": self.old_front, "back": self.old_back,
                    "reviews": self.reviews},
            "new": {"uid": self.new_uid, "line": self.new_line, "front": self.new_front, "back": self.new_back},
            "path": self.path, "similarity": self.score, "linked": self.linked,
        }


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
    linked: int = 0
    migrated: int = 0  # new cards that took over an obsidian-SR schedule (<!--SR:...--> comment)
    skipped: bool = False  # file content identical to the last import: not parsed at all
    errors: list[DeckError] = field(default_factory=list)
    warnings: list[DeckError] = field(default_factory=list)
    card_errors: list[DeckError] = field(default_factory=list)  # cards the parser left out (the rest imported)
    cards: MutableSequence[CardChange] = field(default_factory=list)  # every card that is not unchanged
    rewrites: list[RewriteReport] = field(default_factory=list)
    moved_from: str = ""  # the deck was taken over from this (gone) file
    overridden_by: str = ""  # a shipped deck not read: the learner's copy with its id replaces it

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"{len(self.errors)} error(s), nothing changed"
        if self.overridden_by:
            return f"shipped deck replaced by your copy {self.overridden_by}"
        if self.skipped:
            return f"unchanged file ({self.unchanged} cards)"
        parts = [f"{self.new} new", f"{self.unchanged} unchanged", f"{self.updated} updated (progress kept)"]
        if self.moved:
            parts.append(f"{self.moved} moved")
        parts.append(f"{self.archived} archived (history kept)")
        if self.restored:
            parts.append(f"{self.restored} restored")
        if self.linked:
            parts.append(f"{self.linked} linked")
        if self.migrated:
            parts.append(f"{self.migrated} obsidian-SR schedule(s) taken over")
        if self.rewrites and len(self.rewrites) > self.linked:
            parts.append(f"{len(self.rewrites) - self.linked} possible rewrite(s)")
        if self.card_errors:
            parts.append(f"{len(self.card_errors)} card(s) skipped")
        return ", ".join(parts)


@dataclass
class ImportReport:
    decks: list[DeckReport] = field(default_factory=list)
    dry_run: bool = False
    missing: list[str] = field(default_factory=list)  # tracked sources not found (their cards are kept)

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
        keys = ("new", "unchanged", "updated", "moved", "archived", "restored", "linked", "migrated")
        out = {k: sum(getattr(d, k) for d in self.decks) for k in keys}
        out["errors"] = len(self.errors)
        out["possible_rewrites"] = sum(len(d.rewrites) - d.linked for d in self.decks)
        out["card_errors"] = sum(len(d.card_errors) for d in self.decks)
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
    link: LinkChoice = None,
    track: bool = False,
) -> ImportReport:
    """Import files and folders. ``track``: remember the paths as sources re-scanned at
    start-up (``studyllm import`` and the Import screen do; the start-up scan itself doesn't)."""
    paths = [Path(p) for p in paths]
    files, path_errors = collect_files(paths)
    report = ImportReport(dry_run=dry_run)
    for err in path_errors:
        report.decks.append(DeckReport(path=err.path, errors=[err]))
    roots = _folder_roots(store, paths)
    for i, f in enumerate(files):
        if progress:
            progress(i, len(files), str(f))
        d = import_file(store, f, dry_run=dry_run, outline=outline, force=force, mode=mode,
                        strict=strict, link=link)
        report.decks.append(d)
        if not dry_run and d.ok and (d.new or d.archived):
            _moves_across_files(store, d, report, roots)
    if progress:
        progress(len(files), len(files), "")
    if not dry_run:
        if track:
            from studyllm.store.sources import track as remember

            remember(store, [p for p in paths if p.exists()])
        moved = [(d.moved_from, str(Path(d.path).resolve())) for d in report.decks if d.moved_from]
        if moved:
            from studyllm.store.sources import note_moves

            note_moves(store, moved)
    return report


def _folder_roots(store: Store, paths: list[Path]) -> list[str]:
    """Folders inside which a card may move from one file to another and keep its history:
    the folders being imported, the tracked folders, the deck folders and the shipped decks."""
    roots = {str(p.resolve()) for p in paths if p.is_dir()}
    with store.database.connect() as conn:
        roots.update(r[0] for r in conn.execute("SELECT path FROM source WHERE is_dir = 1"))
    roots.update(str(f.resolve()) for f in deck_folders(store))
    return sorted(roots)


def _same_folder(a: str, b: str, roots: list[str]) -> bool:
    if os.path.dirname(a) == os.path.dirname(b):
        return True
    return any(a.startswith(r + os.sep) and b.startswith(r + os.sep) for r in roots)


def _moves_across_files(store: Store, d: DeckReport, report: ImportReport, roots: list[str]) -> None:
    """A card cut from one deck file and pasted into another of the same folder keeps its
    history: a new card with the same text (exact or normalised) as an archived, answered card
    of another deck takes that card's place, whichever file was imported first. Only a new card
    nobody has answered is replaced, and only when exactly one such pair exists."""
    with store.database.connect() as conn:
        # both sides of a pair are archived, answered cards (this deck's gone ones are archived by
        # now): with none in the store there is nothing to pair, and the report is not walked
        if conn.execute("SELECT 1 FROM card_state WHERE queue = ? AND reviews > 0 LIMIT 1",
                        (m.QUEUE_ARCHIVED,)).fetchone() is None:
            return
    new_cards = [c for c in d.cards if c.action == "new"]
    gone_uids = [c.uid for c in d.cards if c.action == "archived" and c.hashes[0]]  # answered ones
    pairs: list[tuple[int, int]] = []  # (old card with history, fresh card)
    with store.database.connect() as conn:
        new_uids: list[str] = []
        if new_cards:
            # only the new cards whose text an archived, answered card of another deck has
            answered_gone: set[str] = set()
            for chash, nhash in conn.execute(
                "SELECT c.content_hash, c.norm_hash FROM card_state s JOIN card c ON c.id = s.card_id"
                " WHERE s.queue = ? AND s.reviews > 0 AND c.deck_id <> (SELECT id FROM deck WHERE key = ?)",
                (m.QUEUE_ARCHIVED, d.key)):
                answered_gone.update((chash, nhash))
            new_uids = [c.uid for c in new_cards if c.hashes[0] in answered_gone or c.hashes[1] in answered_gone]

        def lookup(uid: str, want_archived: bool) -> tuple[int, int] | None:
            me = conn.execute(
                "SELECT c.id, c.content_hash, c.norm_hash, d.source_path FROM card c JOIN deck d ON d.id = c.deck_id"
                " WHERE c.uid = ?", (uid,)).fetchone()
            if me is None:
                return None
            cid, chash, nhash, src = me
            for col, value in (("content_hash", chash), ("norm_hash", nhash)):
                rows = conn.execute(
                    "SELECT c.id, d.source_path, s.reviews, (SELECT count(*) FROM review_log l WHERE l.card_id = c.id),"
                    " EXISTS (SELECT 1 FROM card_link k WHERE k.old_card_id = c.id OR k.new_card_id = c.id)"
                    f" FROM card c JOIN deck d ON d.id = c.deck_id JOIN card_state s ON s.card_id = c.id"
                    f" WHERE c.{col} = ? AND c.id <> ? AND c.archived = ? AND d.id <> (SELECT deck_id FROM card"
                    " WHERE id = ?)",
                    (value, cid, int(want_archived), cid)).fetchall()
                fits = [r for r in rows if not r[4] and src and r[1] and _same_folder(src, r[1], roots)
                        and ((r[3] > 0) if want_archived else (r[2] == 0 and r[3] == 0))]
                if len(fits) == 1:
                    return (fits[0][0], cid) if want_archived else (cid, fits[0][0])
                if fits:
                    return None  # ambiguous: leave both as they are
            return None

        for uid in new_uids:
            pair = lookup(uid, True)
            if pair:
                pairs.append(pair)
        for uid in gone_uids:
            pair = lookup(uid, False)
            if pair and pair[0] not in {p[0] for p in pairs}:
                has_logs = conn.execute("SELECT count(*) FROM review_log WHERE card_id = ?",
                                                (pair[0],)).fetchone()[0]
                if has_logs:
                    pairs.append(pair)
    if not pairs:
        return
    with write_tx(store.database) as conn:
        done = [t for old_id, fresh_id in dict(pairs).items() if (t := _take_place(conn, store, old_id, fresh_id))]
    for uid, fresh_uid, src, line, front in done:
        found_new = False
        for deck in report.decks:
            for i, ch in enumerate(deck.cards):
                if ch.uid == fresh_uid and ch.action == "new":
                    deck.new -= 1
                    deck.moved += 1
                    deck.cards[i] = CardChange("moved", ch.path, ch.line, ch.front, uid, layer="other file")
                    found_new = True
            kept = [ch for ch in deck.cards if not (ch.uid == uid and ch.action == "archived")]
            deck.archived -= len(deck.cards) - len(kept)
            deck.cards = kept
        if not found_new:  # its new place was imported earlier
            d.moved += 1
            d.cards.append(CardChange("moved", src, line, _one_line(front), uid, layer="other file"))


def _take_place(conn: Connection, store: Store, old_id: int, fresh_id: int) -> tuple[str, str, str, int, str] | None:
    """Inside a write transaction: the answered, archived card ``old_id`` takes the place (deck,
    text, position) of the unanswered card ``fresh_id``, which is removed."""
    fresh = conn.execute(
        "SELECT c.deck_id, c.kind, c.variant, c.front, c.back, c.extra, c.heading_path, c.tags, c.line, c.position,"
        " c.content_hash, c.norm_hash, c.uid, s.position, s.reviews, d.source_path"
        " FROM card c JOIN card_state s ON s.card_id = c.id JOIN deck d ON d.id = c.deck_id WHERE c.id = ?",
        (fresh_id,)).fetchone()
    old = conn.execute(
        "SELECT c.uid, c.archived, d.source_path, s.reviews, s.repetitions, s.suspended, s.fsrs_state FROM card c"
        " JOIN card_state s ON s.card_id = c.id JOIN deck d ON d.id = c.deck_id WHERE c.id = ?", (old_id,)).fetchone()
    if fresh is None or old is None or fresh[14] != 0 or not old[1]:
        return None
    if conn.execute("SELECT 1 FROM review_log WHERE card_id = ? LIMIT 1", (fresh_id,)).fetchone():
        return None
    conn.execute("DELETE FROM card_state WHERE card_id = ?", (fresh_id,))
    conn.execute("DELETE FROM card WHERE id = ?", (fresh_id,))
    now = store.utc_now_iso()
    conn.execute("UPDATE deck SET updated_at = ? WHERE id IN (?, (SELECT deck_id FROM card WHERE id = ?))",
                         (now, fresh[0], old_id))
    conn.execute(
        "UPDATE card SET deck_id=?, kind=?, variant=?, front=?, back=?, extra=?, heading_path=?, tags=?, line=?,"
        " position=?, content_hash=?, norm_hash=?, archived=0, updated_at=? WHERE id=?",
        (*fresh[:12], now, old_id))
    q = queue_for(reviews=old[3], repetitions=old[4], suspended=bool(old[5]), archived=False, fsrs_state=old[6])
    conn.execute("UPDATE card_state SET deck_id=?, position=?, queue=? WHERE card_id=?",
                         (fresh[0], fresh[13], q, old_id))
    return old[0], fresh[12], fresh[15], fresh[8], fresh[3]


ANKI_SUFFIXES = (".tsv", ".csv", ".txt")  # Anki "Notes in Plain Text" exports


def import_file(
    store: Store, path: Path, *, dry_run: bool = False, outline: bool = False, force: bool = False,
    mode: str | None = None, strict: bool = False, link: LinkChoice = None,
) -> DeckReport:
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
    from studyllm.decks.parser import paused_gc

    # one pause of the cyclic collector over the parse and the sync: the cards, rows and
    # reports made in between are not cyclic garbage, and each collection would walk them
    with paused_gc():
        return _import_data(store, path, data, digest, source, dry_run=dry_run, outline=outline, mode=mode, force=force,
                            strict=strict, link=link, max_bytes=max_bytes)


_FM_MODE = re.compile(r"^mode[ \t]*[:=]", re.M)


def _remembered_mode(store: Store, source: str, data: bytes) -> str | None:
    """The mode this file's deck was last imported with, when it is not ``cards`` and the
    file's front matter does not choose one itself."""
    with store.database.connect() as conn:
        row = conn.execute("SELECT mode FROM deck WHERE source_path = ? AND archived = 0 AND mode != 'cards'",
                           (source,)).fetchone()
    if row is None:
        return None
    head = data[:8192].decode("utf-8-sig", "replace").replace("\r\n", "\n")
    for fence in ("---", "+++"):
        if head.startswith(fence + "\n"):
            end = head.find("\n" + fence, len(fence))
            if _FM_MODE.search(head[:end] if end >= 0 else head):
                return None
    return str(row[0])


def _import_data(
    store: Store, path: Path, data: bytes, digest: str, source: str, *, dry_run: bool, outline: bool,
    mode: str | None, strict: bool, link: LinkChoice, max_bytes: int, force: bool = False,
) -> DeckReport:
    # the parsers pull in markdown-it / csv: import on demand
    streamed: DeckReport | None = None
    if path.suffix.lower() in ANKI_SUFFIXES:
        from studyllm.decks.anki_tsv import parse_anki_tsv

        parsed = parse_anki_tsv(path, max_bytes=max_bytes, data=data)
    else:
        separators = store.setting("separators") or None
        split = None
        if not dry_run and not outline and mode is None and not strict and not force:
            from studyllm.decks.segments import split as split_segments

            split = split_segments(data, str(path), separators, max_bytes)
            if split is not None:  # a file of headings and paragraphs: an edit re-reads only what changed
                edited = _reimport_segments(store, path, data, digest, source, split, separators, max_bytes, link)
                if edited is not None:
                    _publish(store, edited, path, data, digest)
                    return edited
        from studyllm.decks.parser import parse_bytes

        if mode is None and not outline:
            # a file imported with --mode (outline notes, say) is read the same way when it is
            # re-scanned or re-imported without it, unless its front matter names a mode
            mode = _remembered_mode(store, source, data)
        if not dry_run and not outline:
            streamed = _import_new_streamed(store, path, data, digest, source, mode=mode, strict=strict,
                                            separators=separators, max_bytes=max_bytes, split=split)
        if streamed is not None:
            _publish(store, streamed, path, data, digest)
            return streamed
        parsed = parse_bytes(data, str(path), outline=outline, max_bytes=max_bytes, mode=mode, strict=strict,
                             separators=separators, digest=digest)
        parsed.content_hash = digest
        report = import_parsed(store, parsed, source_path=source, dry_run=dry_run, link=link)
        if (split is not None and report.ok and not parsed.errors and not parsed.warnings and not parsed.skipped
                and parsed.mode == "cards"):
            _remember_segments(store, source, digest, split, parsed.cards)
        _publish(store, report, path, data, digest, parsed, dry_run=dry_run)
        return report
    parsed.content_hash = digest
    report = import_parsed(store, parsed, source_path=source, dry_run=dry_run, link=link)
    _publish(store, report, path, data, digest, parsed, dry_run=dry_run)
    return report


def _publish(store: Store, report: DeckReport, path: Path, data: bytes, digest: str,
             parsed: ParsedDeck | None = None, *, dry_run: bool = False) -> None:
    if (not dry_run and report.ok and not report.card_errors and not (parsed is not None and parsed.skipped)
            and report.key):
        # with sync on, this version of a learner deck goes to the sync folder now: every
        # version travels, and the other homes import them in order (docs/sync.md, "Decks")
        with store.database.connect() as conn:
            on = store._sync_device(conn) is not None  # read once per store: no write when sync is off
        if on:
            with write_tx(store.database) as conn:
                publish_deck(conn.raw, store, report.key, path.resolve(), data, digest)


class _NewDeckStream:
    """The first import of a new deck, streamed: :func:`studyllm.decks.parser.stream_bytes`
    hands the cards over in batches, each written at once (``executemany``) inside the one
    write transaction the import holds from the start, so neither every card nor every row
    is alive at once. The same rows, uids and report as :func:`_plan` and :func:`_write` give
    a deck with no stored cards."""

    def __init__(self, store: Store, conn: Connection, source: str, estimate: int, split: Any = None) -> None:
        self.store, self.conn, self.source, self.estimate = store, conn, source, estimate
        # the file's segment table (studyllm.decks.segments) is saved in the same transaction, from
        # the cards' lines, so the first edit of the new deck re-reads only what changed
        self.split = split
        self.lines: list[int] = []
        self.report: DeckReport | None = None
        self.deck_id = 0
        self.count = 0
        self.taken: set[str] = set()
        self.answered_gone: set[str] = set()
        self.path_json: dict[tuple[str, ...], str] = {}
        self.indexes: list[str] = []  # the indexes dropped for the bulk insert, made again by finish

    def sink(self, parsed: ParsedDeck, cards: list[ParsedCard]) -> None:
        conn = self.conn
        if self.report is None:
            self.start(parsed)
        report = self.report
        assert report is not None
        now, key, deck_id = self.now, parsed.key, self.deck_id
        next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM card").fetchone()[0]
        base = self.position * DECK_SLOT
        path_json, taken, gone = self.path_json, self.taken, self.answered_gone
        rows = []
        changes = report.cards
        assert isinstance(changes, CardChanges)
        lines = [c.line for c in cards]
        fronts = [_one_line(c.front) for c in cards]
        uids: list[str] = []
        add_uid = uids.append
        kept: dict[int, tuple[str, str]] = {}
        if self.split is not None:
            self.lines.extend(lines)
        i = self.count
        for k, c in enumerate(cards):
            chash, nhash = card_hashes(c)
            uid = stable_uid(key, chash, taken)
            taken.add(uid)
            hp = path_json.get(c.heading_path) or path_json.setdefault(c.heading_path, dumps(list(c.heading_path)))
            cid = next_id + k
            rows.append((cid, uid, deck_id, c.kind, c.variant, c.front, c.back, dumps(c.extra) if c.extra else "{}",
                         hp, dumps(list(c.tags)) if c.tags else "[]", c.line, i, chash, nhash, now, now))
            add_uid(uid)
            # the hashes are kept only where _moves_across_files can use them: a card of
            # another deck, archived and answered, has the same text
            if gone and (chash in gone or nhash in gone):
                kept[k] = (chash, nhash)
            i += 1
        changes.extend_new(lines, fronts, uids, kept)
        self.count = i
        report.new = i
        conn.executemany(
            "INSERT INTO card (id, uid, deck_id, kind, variant, front, back, extra, heading_path, tags, line,"
            " position, content_hash, norm_hash, created_at, updated_at, archived)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
            rows,
        )
        # each card's state row from the card row just written (its id, deck and position), in
        # one statement: no parameter tuple a card from Python
        conn.execute(
            f"INSERT INTO card_state (card_id, deck_id, position, queue, repetitions, ef_centi, interval, reviews,"
            f" lapses, suspended, leech) SELECT id, deck_id, ? + position, {m.QUEUE_NEW},0,250,0,0,0,0,0"
            f" FROM card WHERE id >= ? AND id < ? ORDER BY id",
            (base, next_id, next_id + len(cards)),
        )

    def start(self, parsed: ParsedDeck) -> None:
        """At the first batch: the deck must be new (else the whole-file import matches it)."""
        from studyllm.decks.parser import StreamFallback

        conn = self.conn
        if conn.execute("SELECT 1 FROM deck WHERE key = ?", (parsed.key,)).fetchone():
            raise StreamFallback("the deck has stored cards")
        self.now = now = self.store.utc_now_iso()
        self.position = conn.execute("SELECT coalesce(max(position), -1) + 1 FROM deck").fetchone()[0]
        # the content hash is set once the file read cleanly (finish): a file with skipped cards stores none
        self.deck_id = conn.execute(
            "INSERT INTO deck (key, title, source_path, content_hash, tags, options, mode, updated_at, position,"
            " archived, created_at) VALUES (?,?,?,'',?,?,?,?,?,0,?) RETURNING id",
            (parsed.key, parsed.title, self.source, dumps(list(parsed.tags)), dumps(parsed.options), parsed.mode,
             now, self.position, now),
        ).fetchone()[0]
        for chash, nhash in conn.execute(
            "SELECT c.content_hash, c.norm_hash FROM card_state s JOIN card c ON c.id = s.card_id"
            " WHERE s.queue = ? AND s.reviews > 0", (m.QUEUE_ARCHIVED,)):
            self.answered_gone.update((chash, nhash))
        next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM card").fetchone()[0]
        if self.estimate >= BULK_INDEX_AFTER and next_id == 1:
            self.indexes = defer_indexes(conn, ("card", "card_state"))
            # one index on a random key is left to keep up row by row (uid's, ~40 bytes a card):
            # a quarter of the cache the three would need (peak RSS at 100,000 cards 153 -> 125 MB)
            grow_page_cache(conn, self.estimate // 4)
        elif self.estimate > 1000:  # a bulk write: keep the card indexes' pages in memory
            grow_page_cache(conn, next_id + self.estimate)
        self.report = DeckReport(path=parsed.path, key=parsed.key, title=parsed.title,
                                 cards=CardChanges(parsed.path))

    def finish(self, parsed: ParsedDeck) -> DeckReport:
        report = self.report
        assert report is not None
        restore_indexes(self.conn, self.indexes)
        report.warnings = list(parsed.warnings)
        report.card_errors = list(parsed.skipped)
        if not parsed.skipped:
            self.conn.execute("UPDATE deck SET content_hash = ? WHERE id = ?", (parsed.content_hash, self.deck_id))
            if self.split is not None and not parsed.warnings and parsed.mode == "cards":
                counts = _segment_counts_of_lines(self.split, self.lines)
                if counts is not None:
                    _save_table(self.conn, self.deck_id, self.split, counts, parsed.content_hash, self.now,
                                self.source)
        return report


def _import_new_streamed(
    store: Store, path: Path, data: bytes, digest: str, source: str, *, mode: str | None, strict: bool,
    separators: dict[str, str] | None, max_bytes: int, split: Any = None,
) -> DeckReport | None:
    """The first import of a new Markdown deck as a stream (:class:`_NewDeckStream`), or None
    when the file or the store needs the whole-file import: the file is not one the streamed
    parse reads, the deck is stored already, or a deck whose file is gone may continue in this
    one (``_find_moved_deck``). Whatever the stream wrote is rolled back before None."""
    from studyllm.decks.parser import StreamFallback, stream_bytes, streamable

    if not streamable(data, mode=mode, strict=strict):
        return None
    try:
        with write_tx(store.database) as conn:
            for (src,) in conn.execute("SELECT source_path FROM deck"):
                if src == source:
                    return None  # this file is tracked already (its front matter id may have changed)
                if src and not Path(src).exists() and Path(src).parent.is_dir():
                    return None  # a gone deck: _plan decides whether this file continues it
            state = _NewDeckStream(store, conn, source, data.count(b"\n\n"), split)
            parsed = stream_bytes(data, str(path), state.sink, max_bytes=max_bytes, mode=mode, separators=separators,
                                  digest=digest, _checked=True)
            return state.finish(parsed)
    except StreamFallback:
        return None


def import_parsed(
    store: Store, parsed: ParsedDeck, *, source_path: str, dry_run: bool = False, link: LinkChoice = None,
) -> DeckReport:
    """Sync one parsed deck into the store.

    The changes are computed first on a read snapshot (no lock held), then written in one
    short write transaction; if the deck changed in between (another import), the plan is
    computed again. ``link`` decides the possible rewrites: ``"all"``, ``"none"``/``None``
    (listed only), or a function given the rewrites that returns the indexes to link."""
    report = DeckReport(path=parsed.path, key=parsed.key, title=parsed.title, warnings=list(parsed.warnings))
    report.card_errors = list(parsed.skipped)
    if parsed.errors:
        report.errors = list(parsed.errors)
        return report
    from studyllm.decks.parser import paused_gc

    for _attempt in range(5):
        attempt = DeckReport(path=report.path, key=report.key, title=report.title, warnings=list(report.warnings),
                             card_errors=list(report.card_errors))
        with paused_gc():
            with store.database.connect() as conn:
                plan = _plan(conn, store, parsed, source_path, attempt)
            if isinstance(plan, DeckError):
                attempt.errors.append(plan)
                return attempt
            if plan is None:  # nothing to do (a shipped deck the learner's copy replaces)
                return attempt
            if dry_run:
                return attempt
            chosen = _choose_links(attempt.rewrites, link)
            with write_tx(store.database) as conn:
                if _stamp(conn, plan.deck_id, parsed.key) != plan.stamp:
                    continue  # changed since it was read: plan again
                _write(conn, store, plan)
                attempt.migrated = plan.migrated
                for i in chosen:
                    rw = attempt.rewrites[i]
                    new_id = plan.new_ids.get(rw.new_uid)
                    if new_id is not None:
                        link_cards(conn, store, rw.old_id, new_id)
                        rw.linked = True
                        attempt.cards.append(CardChange("linked", rw.path, rw.new_line, rw.new_front, rw.new_uid,
                                                        layer="confirmed", score=rw.score, old_uid=rw.old_uid))
                        attempt.linked += 1
        return attempt
    report.errors.append(DeckError("the deck kept changing during the import (another import running?); "
                                   "nothing changed", path=parsed.path, hint="try again"))
    return report


def _choose_links(rewrites: list[RewriteReport], link: LinkChoice) -> list[int]:
    if not rewrites or link is None or link == "none":
        return []
    if link == "all":
        return list(range(len(rewrites)))
    if callable(link):
        return sorted({i for i in link(rewrites) if 0 <= i < len(rewrites)})
    raise ValueError(f"link must be 'all', 'none' or a function, not {link!r}")


def _stamp(conn: Connection, deck_id: int | None, key: str) -> tuple:
    """What must not change between planning and writing: the deck row and its cards."""
    if deck_id is None:
        row = conn.execute("SELECT id FROM deck WHERE key = ?", (key,)).fetchone()
        return ("new", row[0] if row else None)
    # every write to a deck's cards (import, a card moving between files) sets the deck's
    # updated_at; the count runs on the (deck_id, position) index
    return tuple(conn.execute(
        "SELECT key, source_path, content_hash, updated_at, archived,"
        " (SELECT count(*) FROM card WHERE deck_id = ?1) FROM deck WHERE id = ?1",
        (deck_id,),
    ).fetchone() or ())


@dataclass(slots=True)
class _Old:
    id: int
    uid: str
    content_hash: str
    norm_hash: str
    kind: str
    variant: str
    heading_path: str
    front: str
    back: str
    extra: str
    archived: bool
    line: int
    position: int
    reviews: int
    linked_away: bool


@dataclass
class _Plan:
    deck_id: int | None
    key: str
    stamp: tuple
    deck_fields: tuple
    adopt_from: int | None  # deck id of a moved/renamed file's deck taken over
    new_cards: list[tuple] = field(default_factory=list)  # without id: (uid, *row)
    new_positions: list[int] = field(default_factory=list)
    updates: list[tuple] = field(default_factory=list)
    state_pos: list[tuple[int, int]] = field(default_factory=list)  # (gpos, card id)
    restores: list[int] = field(default_factory=list)
    to_archive: list[int] = field(default_factory=list)
    new_ids: dict[str, int] = field(default_factory=dict)  # uid -> card id, filled by _write
    schedules: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # new uid -> obsidian-SR schedule
    now: str = ""
    position: int = 0
    migrated: int = 0  # obsidian-SR schedules taken over, set by _write


def _one_line(text: str, width: int = 80) -> str:
    if len(text) <= width and text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # already one line (a printable text has no whitespace but " ")
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _find_moved_deck(conn: Connection, parsed: ParsedDeck, source_path: str) -> tuple | None:
    """A deck whose file is gone and that this file continues (renamed or moved, a new deck
    key): the same file content, or at least half of this file's cards in it and at least half
    of its cards in this file."""
    gone = [
        r for r in conn.execute("SELECT id, key, source_path, content_hash, position FROM deck")
        # gone from a folder that is still there (renamed or moved away), not on a drive
        # that is missing
        if r[2] and r[2] != source_path and not Path(r[2]).exists() and Path(r[2]).parent.is_dir()
    ]
    if not gone:
        return None
    for r in gone:
        if parsed.content_hash and r[3] == parsed.content_hash:
            return r
    hashes = list({text_hash(card_text(c)) for c in parsed.cards})
    if not hashes:
        return None
    ids = {r[0]: r for r in gone}
    counts: dict[int, int] = defaultdict(int)
    for i in range(0, len(hashes), 500):
        chunk = hashes[i:i + 500]
        for did, n in conn.execute(
            f"SELECT deck_id, count(*) FROM card WHERE content_hash IN ({','.join('?' * len(chunk))}) GROUP BY deck_id",
            tuple(chunk),
        ):
            if did in ids:
                counts[did] += n
    if not counts:
        return None
    best = max(counts, key=lambda d: (counts[d], -d))
    if counts[best] * 2 < len(hashes):
        return None
    # and at least half of that deck's cards are in this file (a new deck that borrows a few
    # cards of a deleted one is not its continuation)
    size = conn.execute("SELECT count(*) FROM card WHERE deck_id = ? AND archived = 0", (best,)).fetchone()[0]
    return ids[best] if counts[best] * 2 >= size else None


def _record_paired(
    plan: _Plan, report: DeckReport, path: str, c: ParsedCard, o: _Old, layer: str, score: float,
    row: tuple[Any, ...], gpos: int, pos: int, chash: str, hpath: str, now: str,
) -> None:
    """A card of the file paired with the stored card ``o`` (at position ``pos`` of its deck):
    restore, update or move it as the plan, and say so in the report."""
    if o.archived:
        plan.restores.append(o.id)
        report.restored += 1
        report.cards.append(CardChange("restored", path, c.line, _one_line(c.front), o.uid, layer, score))
    if o.content_hash != chash:
        report.updated += 1
        if not o.archived:
            report.cards.append(CardChange("updated", path, c.line, _one_line(c.front), o.uid, layer,
                                           score, old_front=_one_line(o.front)))
    elif o.heading_path != hpath:
        report.moved += 1
        if not o.archived:
            report.cards.append(CardChange("moved", path, c.line, _one_line(c.front), o.uid, layer, score))
    else:
        report.unchanged += 1
    if o.content_hash != chash or o.heading_path != hpath or o.line != c.line or o.position != pos or o.archived:
        plan.updates.append((*row, now, o.id))
        plan.state_pos.append((gpos, o.id))


def _archive_unclaimed(plan: _Plan, report: DeckReport, path: str, old_rows: list[_Old], claimed: set[int]) -> None:
    """The stored cards no card of the file paired with are archived (the answered ones keep their
    hashes in the report, for a move to another file)."""
    plan.to_archive = [o.id for o in old_rows if o.id not in claimed and not o.archived]
    report.archived = len(plan.to_archive)
    for o in old_rows:
        if o.id not in claimed and not o.archived:
            report.cards.append(CardChange("archived", path, o.line, _one_line(o.front), o.uid,
                                           hashes=(o.content_hash, o.norm_hash) if o.reviews else ("", "")))


def _plan(
    conn: Connection, store: Store, parsed: ParsedDeck, source_path: str, report: DeckReport,
) -> _Plan | DeckError | None:
    now = store.utc_now_iso()
    deck = conn.execute(
        "SELECT id, source_path, position FROM deck WHERE key = ?", (parsed.key,)
    ).fetchone()
    if (deck and deck[1] != source_path and deck[1] and Path(deck[1]).exists() and not _same_file(deck[1], source_path)
            and not _is_shipped(deck[1]) and not is_sync_copy(store, deck[1])):
        if _is_shipped(source_path):
            # the learner's own copy of a shipped deck (same id) has taken over: the shipped
            # file of that id is left alone, whatever an upgrade changed in it
            report.skipped = True
            report.overridden_by = deck[1]
            return None
        return DeckError(
            f"deck id {parsed.key!r} is already used by {deck[1]}",
            path=parsed.path,
            hint=("change its #deck: header line or rename the file"
                  if Path(parsed.path).suffix.lower() in ANKI_SUFFIXES
                  else "give this deck its own `id:` in the front matter"),
        )
    adopt_from = None
    if deck is None:
        moved = _find_moved_deck(conn, parsed, source_path)
        if moved is not None:
            adopt_from = moved[0]
            deck = (moved[0], moved[2], moved[4])
            report.moved_from = moved[2]
            report.warnings.append(DeckError(
                f"this file continues the deck {moved[1]!r} of {moved[2]}, which is gone: its cards and history"
                " are kept", path=parsed.path))
    if deck is None:
        # the same file with a new deck id (an `id:` added to, changed in or removed from its
        # front matter): the deck is this file's, under its new id, with its cards and history
        same = conn.execute(
            "SELECT id, key, source_path, position FROM deck WHERE source_path = ? ORDER BY archived, id LIMIT 1",
            (source_path,),
        ).fetchone()
        if same is not None:
            adopt_from = same[0]
            deck = (same[0], same[2], same[3])
            report.warnings.append(DeckError(
                f"this file's deck id changed from {same[1]!r} to {parsed.key!r}: its cards and history are kept",
                path=parsed.path))
    if (deck and deck[1] and deck[1] != source_path and is_sync_copy(store, deck[1])
            and not is_sync_copy(store, source_path)):
        report.warnings.append(DeckError(
            f"this file takes over the deck {parsed.key!r} that came from the sync folder, with all its progress",
            path=parsed.path))
    if deck and deck[1] and deck[1] != source_path and _is_shipped(deck[1]) and not _is_shipped(source_path):
        report.warnings.append(DeckError(
            f"this file takes over the shipped deck {parsed.key!r} (same id) with all its progress; the shipped "
            "file is no longer read (delete this file to go back to it)", path=parsed.path))
    deck_id = deck[0] if deck else None
    stamp = _stamp(conn, deck_id, parsed.key)
    # A file with skipped cards stores no content hash, so the unchanged-file shortcut never
    # takes it: it is parsed again on every import and its skipped cards reported each time
    # (with exit code 1), not only on the import that first met them.
    deck_fields = (
        parsed.title, source_path, "" if parsed.skipped else parsed.content_hash, dumps(list(parsed.tags)),
        dumps(parsed.options),
        parsed.mode, now,
    )
    position = (deck[2] if deck else
                conn.execute("SELECT coalesce(max(position), -1) + 1 FROM deck").fetchone()[0])
    plan = _Plan(deck_id=deck_id, key=parsed.key, stamp=stamp, deck_fields=deck_fields, adopt_from=adopt_from,
                 now=now, position=position)

    old_rows: list[_Old] = []
    if deck_id is not None:
        linked_away = {r[0] for r in conn.execute("SELECT old_card_id FROM card_link")}
        # the text columns are read later, only for the cards the hash layers leave unmatched
        old_rows = [
            _Old(r[0], r[1], r[2], r[3], r[4], r[5], r[6], "", "", "", bool(r[7]), r[8], r[9], r[10] or 0,
                 r[0] in linked_away)
            for r in conn.execute(
                "SELECT c.id, c.uid, c.content_hash, c.norm_hash, c.kind, c.variant, c.heading_path,"
                " c.archived, c.line, c.position, s.reviews"
                " FROM card c LEFT JOIN card_state s ON s.card_id = c.id WHERE c.deck_id = ?",
                (deck_id,),
            )
        ]
    loaded: dict[int, tuple[str, str, str]] = {}

    def old_text(ids: list[int]) -> dict[int, tuple[str, str, str]]:
        want = [i for i in ids if i not in loaded]
        if len(want) > 2000:
            rows = conn.execute("SELECT id, front, back, extra FROM card WHERE deck_id = ?", (deck_id,))
            loaded.update((r[0], (r[1], r[2], r[3])) for r in rows)
        else:
            for k in range(0, len(want), 500):
                chunk = want[k:k + 500]
                loaded.update((r[0], (r[1], r[2], r[3])) for r in conn.execute(
                    f"SELECT id, front, back, extra FROM card WHERE id IN ({','.join('?' * len(chunk))})",
                    tuple(chunk)))
        return {i: loaded[i] for i in ids if i in loaded}

    cards = parsed.cards
    texts = [card_text(c) for c in cards]
    hashes = [text_hash(t) for t in texts]
    path_json: dict[tuple[str, ...], str] = {}
    paths = [path_json.get(c.heading_path) or path_json.setdefault(c.heading_path, dumps(list(c.heading_path)))
             for c in cards]
    extras = [dumps(c.extra) if c.extra else "{}" for c in cards]
    by_id = {o.id: o for o in old_rows}
    match_pairs: dict[int, tuple[int, str, float]] = {}
    rewrites = []
    norms: list[str] = [""] * len(cards)
    # a card whose answers were moved onto a confirmed rewrite stays archived: matching
    # ignores it (its text coming back is a new card; `studyllm unlink` undoes the link)
    candidates = [o for o in old_rows if not o.linked_away]
    if candidates:
        # the exact layer here, on the rows as read (most cards of a re-import are unchanged);
        # identity.match_cards gets only what is left. Equal texts pair off in file order,
        # a live stored card before an archived one.
        by_hash: dict[str, list[_Old]] = defaultdict(list)
        for o in sorted(candidates, key=lambda o: (not o.archived, -o.position)):
            by_hash[o.content_hash].append(o)
        free = {o.id for o in candidates}
        left: list[int] = []
        for i, h in enumerate(hashes):
            bucket = by_hash.get(h)
            while bucket:
                o = bucket.pop()
                if o.id in free:
                    free.discard(o.id)
                    match_pairs[i] = (o.id, "exact", 1.0)
                    norms[i] = o.norm_hash
                    break
            else:
                left.append(i)
        for i in left:
            norms[i] = norm_text_hash(texts[i])
        if left and free:
            result = match_cards(
                [MatchCard(o.id, o.kind, o.variant, "", "", "", o.heading_path, o.position, o.content_hash,
                           o.norm_hash, o.archived, o.reviews > 0) for o in candidates if o.id in free],
                [MatchCard(i, cards[i].kind, cards[i].variant, cards[i].front, cards[i].back, extras[i], paths[i], i,
                           hashes[i], norms[i]) for i in left],
                old_text,
                fronts=Counter(c.front for c in cards), backs=Counter(c.back for c in cards),
            )
            match_pairs.update(result.pairs)
            rewrites = result.rewrites
    else:
        norms = [norm_text_hash(t) for t in texts]
    del texts  # a copy of every card's text: not needed past the hashes (peak memory of a big import)

    # the stored text of the cards the report shows: updated, archived, possible rewrites
    paired = {o_id for o_id, _, _ in match_pairs.values()}
    shown_ids = [o_id for i, (o_id, _, _) in match_pairs.items() if by_id[o_id].content_hash != hashes[i]]
    shown_ids += [o.id for o in old_rows if o.id not in paired and not o.archived]
    shown_ids += [rw.old for rw in rewrites]
    if shown_ids and deck_id is not None:
        for k, (front, back, extra) in old_text(shown_ids).items():
            o = by_id[k]
            o.front, o.back, o.extra = front, back, extra

    taken_uids = {o.uid for o in old_rows}
    new_uid: dict[int, str] = {}
    claimed: set[int] = set()
    for i, c in enumerate(cards):
        gpos = position * DECK_SLOT + i
        row = (
            c.kind, c.variant, c.front, c.back, extras[i], paths[i],
            dumps(list(c.tags)) if c.tags else "[]", c.line, i, hashes[i], norms[i],
        )
        pair = match_pairs.get(i)
        if pair is None:
            uid = stable_uid(parsed.key, hashes[i], taken_uids)
            taken_uids.add(uid)
            new_uid[i] = uid
            plan.new_cards.append((uid, *row))
            plan.new_positions.append(gpos)
            if c.schedule is not None:
                plan.schedules[uid] = c.schedule
            report.new += 1
            report.cards.append(CardChange("new", parsed.path, c.line, _one_line(c.front), uid,
                                           hashes=(hashes[i], norms[i])))
            continue
        o = by_id[pair[0]]
        claimed.add(o.id)
        _record_paired(plan, report, parsed.path, c, o, pair[1], pair[2], row, gpos, i, hashes[i], paths[i], now)
    _archive_unclaimed(plan, report, parsed.path, old_rows, claimed)
    for rw in rewrites:
        o, c = by_id[rw.old], cards[rw.new]
        report.rewrites.append(RewriteReport(
            old_id=o.id, old_uid=o.uid, old_front=o.front, old_back=o.back, old_line=o.line, old_archived=o.archived,
            new_uid=new_uid[rw.new], new_front=c.front, new_back=c.back, new_line=c.line, path=parsed.path,
            score=rw.score, reviews=o.reviews,
        ))
    if parsed.skipped and plan.to_archive:
        # a card the parser left out must not lose its place: keep the file's stored cards
        report.warnings.append(DeckError(
            f"{len(parsed.skipped)} card(s) could not be read; {len(plan.to_archive)} stored card(s) no longer"
            " found in the file are kept (not archived) until the file reads cleanly", path=parsed.path,
            hint="fix the errors listed below and import again"))
        kept = set(plan.to_archive)
        plan.to_archive = []
        report.archived = 0
        report.rewrites = [r for r in report.rewrites if r.old_id not in kept]
        report.cards = [ch for ch in report.cards if ch.action != "archived"]
    return plan


def _write(conn: Connection, store: Store, plan: _Plan) -> None:
    """Write a plan (inside the write transaction): a handful of bulk statements."""
    now = plan.now
    if plan.deck_id is None:
        plan.deck_id = conn.execute(
            "INSERT INTO deck (key, title, source_path, content_hash, tags, options, mode, updated_at, position,"
            " archived, created_at) VALUES (?,?,?,?,?,?,?,?,?,0,?) RETURNING id",
            (plan.key, *plan.deck_fields, plan.position, now),
        ).fetchone()[0]
    else:
        conn.execute(
            "UPDATE deck SET key=?, title=?, source_path=?, content_hash=?, tags=?, options=?, mode=?, updated_at=?,"
            " archived=0 WHERE id=?",
            (plan.key, *plan.deck_fields, plan.deck_id),
        )
    deck_id = plan.deck_id
    cards = len(plan.new_cards) + len(plan.updates)
    next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM card").fetchone()[0]
    if cards > 1000:  # a bulk write: keep the card indexes' pages in memory
        grow_page_cache(conn, next_id + cards)
    if plan.new_cards:
        rows, states = [], []
        for k, (card, gpos) in enumerate(zip(plan.new_cards, plan.new_positions, strict=True)):
            cid = next_id + k
            rows.append((cid, card[0], deck_id, *card[1:], now, now))
            states.append((cid, deck_id, gpos))
            plan.new_ids[card[0]] = cid
        conn.executemany(
            "INSERT INTO card (id, uid, deck_id, kind, variant, front, back, extra, heading_path, tags, line,"
            " position, content_hash, norm_hash, created_at, updated_at, archived)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
            rows,
        )
        conn.executemany(
            f"INSERT INTO card_state (card_id, deck_id, position, queue, repetitions, ef_centi, interval, reviews,"
            f" lapses, suspended, leech) VALUES (?,?,?,{m.QUEUE_NEW},0,250,0,0,0,0,0)",
            states,
        )
        if plan.schedules:
            from studyllm.store.migrated import take_sr_schedules

            plan.migrated = take_sr_schedules(conn, store, {plan.new_ids[u]: (u, s) for u, s in plan.schedules.items()})
    if plan.updates:
        conn.executemany(
            "UPDATE card SET kind=?, variant=?, front=?, back=?, extra=?, heading_path=?, tags=?, line=?,"
            " position=?, content_hash=?, norm_hash=?, updated_at=?, archived=0 WHERE id=?",
            plan.updates,
        )
        conn.executemany("UPDATE card_state SET position=?, deck_id=? WHERE card_id=?",
                             [(gpos, deck_id, cid) for gpos, cid in plan.state_pos])
    for cid in plan.restores:
        st = conn.execute(
            "SELECT reviews, repetitions, suspended, fsrs_state FROM card_state WHERE card_id = ?", (cid,)
        ).fetchone()
        q = queue_for(reviews=st[0], repetitions=st[1], suspended=bool(st[2]), archived=False, fsrs_state=st[3])
        conn.execute("UPDATE card_state SET queue = ? WHERE card_id = ?", (q, cid))
    if plan.to_archive:
        conn.executemany("UPDATE card SET archived = 1, updated_at = ? WHERE id = ?",
                             [(now, i) for i in plan.to_archive])
        conn.executemany(
            f"UPDATE card_state SET queue = {m.QUEUE_ARCHIVED} WHERE card_id = ?", [(i,) for i in plan.to_archive]
        )


def _is_shipped(path: str) -> bool:
    from studyllm.paths import shipped_decks_dir

    shipped = shipped_decks_dir()
    return shipped is not None and Path(path).is_relative_to(shipped.resolve())


def editable_copy(store: Store, source_path: str) -> tuple[Path, bool]:
    """The file to open for editing a card of ``source_path``: the file itself, or, for a
    shipped deck, a copy in the learner's deck folder (made once, then imported so it takes
    over the shipped deck with its progress). Returns (path, copied now)."""
    src = Path(source_path)
    if not _is_shipped(str(src)) and not is_sync_copy(store, src):  # a copy from the sync folder: like shipped
        return src, False
    folders = [expand_user(p, strict=False) for p in store.setting("deck_folders")]
    if folders:
        target_dir = folders[0]
    else:
        if store.path is None:
            raise StoreError("no deck folder to copy the shipped deck into")
        target_dir = store.path.parent / "decks"
        store.set_setting("deck_folders", [str(target_dir)])
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / src.name
    if target.exists():
        if target.read_bytes() == src.read_bytes() or _deck_source_is(store, target):
            return target, False
        target = target_dir / f"{src.stem}-copy{src.suffix}"
    import shutil

    shutil.copyfile(src, target)
    report = import_file(store, target)
    if report.errors:
        target.unlink(missing_ok=True)
        raise StoreError(f"could not use the copy of {src.name}: {report.errors[0]}")
    return target, True


def _deck_source_is(store: Store, path: Path) -> bool:
    with store.database.connect() as conn:
        row = conn.execute("SELECT 1 FROM deck WHERE source_path = ?", (str(path.resolve()),)).fetchone()
    return row is not None


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def sync_folders(store: Store, progress: Progress | None = None) -> ImportReport:
    """Re-scan the shipped decks, the user's deck folders and the tracked sources (start-up,
    and every command that reads cards). Unchanged files are skipped by content hash without
    parsing. A deck whose file is gone from a folder that is there is archived (history kept);
    a tracked file or folder that is missing is reported in ``report.missing`` and its decks
    are kept as they are until it comes back or is forgotten (``studyllm sources forget``)."""
    from studyllm.store.sources import mark_scanned, tracked_paths

    tracked = tracked_paths(store)
    folders = [f for f in deck_folders(store) if f.is_dir()]
    present = [p for p, is_dir in tracked if (p.is_dir() if is_dir else p.is_file())]
    missing = [p for p, is_dir in tracked if p not in present]
    report = import_paths(store, [*folders, *present], progress=progress)
    report.missing = [str(p) for p in missing]
    seen = {str(Path(d.path).resolve()) for d in report.decks}
    roots = [str(f.resolve()) + os.sep for f in [*folders, *(p for p in present if p.is_dir())]]
    with store.database.connect() as conn:
        gone = [
            (did, src)
            for did, src in conn.execute("SELECT id, source_path FROM deck WHERE archived = 0")
            if src and any(src.startswith(r) for r in roots) and src not in seen and not Path(src).exists()
        ]
    for did, _src in gone:
        archive_deck(store, did)
    if tracked:
        mark_scanned(store, [str(p) for p in present], report.missing)
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
        "missing_sources": list(report.missing),
        "decks": [
            {
                "path": d.path, "key": d.key, "title": d.title, "new": d.new, "unchanged": d.unchanged,
                "updated": d.updated, "moved": d.moved, "archived": d.archived, "restored": d.restored,
                "linked": d.linked, "skipped": d.skipped, "errors": [str(e) for e in d.errors],
                "warnings": [str(w) for w in d.warnings], "card_errors": [str(e) for e in d.card_errors],
                "cards": [c.as_dict() for c in d.cards], "possible_rewrites": [r.as_dict() for r in d.rewrites],
                **({"moved_from": d.moved_from} if d.moved_from else {}),
            }
            for d in report.decks
        ],
    }


# --------------------------------------------------------------------------- edited re-imports
#
# Issue #23: a re-import of a file with a few cards edited re-reads only the segments of the
# file that changed (studyllm.decks.segments: files of headings and plain paragraphs only, cut
# where the parser starts afresh), and matches and writes only their cards. The cards of every
# other segment are the stored rows, their lines and positions shifted. What makes that give
# exactly what a full re-import gives:
#
# - the segment table of the last import (each segment's key, lines and cards) is kept in a
#   meta row beside the deck, stamped with the deck's content hash and updated_at: any other
#   write to the deck's cards (another import, a card taking its place from another file)
#   changes the stamp, and the next import is a full one that writes a new table;
# - only a clean file gets a table (no warning, no skipped card): the cards of a segment
#   re-read alone must be all its cards, with nothing said about them;
# - a kept card stays paired with its own row only if a full import would pair them: its text
#   is on no other row of the deck (live, archived or linked away) and on none of the cards
#   read again; a segment holding such a card is read again too, and a card read again whose
#   text is on a kept row sends the whole file to a full re-import.
#
# tests/test_reimport_incremental.py checks the result against a full import of the same text.

SEGMENTS_KEY = "deck_segments:"  # + deck id: the meta row holding a deck's segment table


@dataclass
class _Table:
    file_key: str
    content_hash: str
    updated_at: str
    source: str
    keys: list[bytes]
    lines: list[int]
    cards: list[int]


def _load_table(conn: Connection, deck_id: int) -> _Table | None:
    import base64
    import json
    from array import array

    row = conn.execute("SELECT value FROM meta WHERE key = ?", (f"{SEGMENTS_KEY}{deck_id}",)).fetchone()
    if row is None:
        return None
    try:
        raw = json.loads(row[0])
        from studyllm.decks.segments import FORMAT

        if raw.get("format") != FORMAT:
            return None
        keys = base64.b64decode(raw["keys"])
        lines, cards = array("I"), array("I")
        lines.frombytes(base64.b64decode(raw["lines"]))
        cards.frombytes(base64.b64decode(raw["cards"]))
        n = len(lines)
        if len(cards) != n or len(keys) != 16 * n:
            return None
        return _Table(raw["file_key"], raw["hash"], raw["at"], raw["source"],
                      [keys[16 * i:16 * i + 16] for i in range(n)], lines.tolist(), cards.tolist())
    except (ValueError, KeyError, TypeError):
        return None  # not a table of this version: the import is a full one and writes a new one


def _save_table(conn: Connection, deck_id: int, split: Any, counts: list[int], content_hash: str,
                updated_at: str, source: str) -> None:
    import base64
    import json
    from array import array

    from studyllm.decks.segments import FORMAT

    value = json.dumps({
        "format": FORMAT, "file_key": split.file_key, "hash": content_hash, "at": updated_at, "source": source,
        "keys": base64.b64encode(b"".join(s.key for s in split.segments)).decode(),
        "lines": base64.b64encode(array("I", [s.lines for s in split.segments]).tobytes()).decode(),
        "cards": base64.b64encode(array("I", counts).tobytes()).decode(),
    })
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (f"{SEGMENTS_KEY}{deck_id}", value))


def _segment_counts(split: Any, cards: list[Any]) -> list[int] | None:
    """Cards per segment (``None`` if the cards are not in file order)."""
    return _segment_counts_of_lines(split, [c.line for c in cards])


def _segment_counts_of_lines(split: Any, lines: list[int]) -> list[int] | None:
    """Cards per segment, from the cards' lines in file order (``None`` if out of order)."""
    from bisect import bisect_right

    starts = [s.start for s in split.segments]
    counts = [0] * len(starts)
    last = 0
    for line in lines:
        k = bisect_right(starts, line - 1) - 1
        if k < last:
            return None
        counts[k] += 1
        last = k
    return counts


def _remember_segments(store: Store, source: str, digest: str, split: Any, cards: list[Any]) -> None:
    """After a full import of a clean file: keep its segment table for the next edited re-import."""
    counts = _segment_counts(split, cards)
    if counts is None:
        return
    with write_tx(store.database) as conn:
        deck = conn.execute("SELECT id, content_hash, updated_at, archived FROM deck WHERE source_path = ?",
                            (source,)).fetchone()
        if deck is None or deck[1] != digest or deck[3]:
            return  # another import came in between: the next import is a full one
        _save_table(conn, deck[0], split, counts, digest, deck[2], source)


def _reimport_segments(
    store: Store, path: Path, data: bytes, digest: str, source: str, split: Any, separators: Any,
    max_bytes: int, link: LinkChoice,
) -> DeckReport | None:
    """An edited re-import that reads and matches only the segments that changed, or ``None``
    when it cannot be done exactly so (the caller imports the whole file)."""
    from studyllm.decks.parser import parse_deck

    with store.database.connect() as conn:
        work = _segment_plan(conn, store, path, data, digest, source, split, separators, max_bytes, parse_deck)
    if work is None:
        return None
    plan, report, shifts, counts = work
    chosen = _choose_links(report.rewrites, link)
    with write_tx(store.database) as conn:
        if _stamp(conn, plan.deck_id, plan.key) != plan.stamp:
            return None  # changed since it was read: the full import plans again
        _write(conn, store, plan)
        if shifts:
            conn.executemany("UPDATE card SET line = ?, position = ?, updated_at = ? WHERE id = ?", shifts)
            base = plan.position * DECK_SLOT
            conn.executemany("UPDATE card_state SET position = ? WHERE card_id = ?",
                             [(base + pos, cid) for _line, pos, _now, cid in shifts])
        report.migrated = plan.migrated
        for i in chosen:
            rw = report.rewrites[i]
            new_id = plan.new_ids.get(rw.new_uid)
            if new_id is not None:
                link_cards(conn, store, rw.old_id, new_id)
                rw.linked = True
                report.cards.append(CardChange("linked", rw.path, rw.new_line, rw.new_front, rw.new_uid,
                                               layer="confirmed", score=rw.score, old_uid=rw.old_uid))
                report.linked += 1
        assert plan.deck_id is not None
        _save_table(conn, plan.deck_id, split, counts, digest, plan.now, source)
    return report


def _segment_plan(
    conn: Connection, store: Store, path: Path, data: bytes, digest: str, source: str, split: Any,
    separators: Any, max_bytes: int, parse_deck: Callable[..., ParsedDeck],
) -> tuple[_Plan, DeckReport, list[tuple[int, int, str, int]], list[int]] | None:
    from bisect import bisect_right
    from dataclasses import replace

    from studyllm.decks import _limits
    from studyllm.decks.segments import file_line, scale, synthetic

    deck = conn.execute("SELECT id, key, content_hash, updated_at, archived, position FROM deck"
                        " WHERE source_path = ?", (source,)).fetchone()
    if deck is None or deck[4]:
        return None
    deck_id, deck_key, position = deck[0], deck[1], deck[5]
    table = _load_table(conn, deck_id)
    if (table is None or table.file_key != split.file_key or table.content_hash != deck[2]
            or table.updated_at != deck[3] or table.source != source):
        return None
    # where each old segment's lines and cards start
    old_line, old_pos = [], []
    line = pos = 0
    for n_lines, n_cards in zip(table.lines, table.cards, strict=True):
        old_line.append(line)
        old_pos.append(pos)
        line += n_lines
        pos += n_cards
    n_old = pos

    def old_segment(position: int) -> int:  # the old segment holding a live row's position
        return bisect_right(old_pos, position) - 1

    # each new segment takes an old one of the same key (same text, same headings above it)
    free: dict[bytes, list[int]] = defaultdict(list)
    for j in range(len(table.keys) - 1, -1, -1):
        free[table.keys[j]].append(j)
    reuse: dict[int, int] = {}
    for i, seg in enumerate(split.segments):
        bucket = free.get(seg.key)
        if bucket:
            reuse[i] = bucket.pop()
    segs = split.segments
    starts = [s.start for s in segs]
    for _attempt in range(4):
        reused = set(reuse.values())
        keep = {i for i in range(len(segs)) if i not in reuse}
        made = synthetic(data, split, keep)
        if made is None:
            return None
        text, line_map = made
        parsed = parse_deck(text, str(path), content_hash=digest, separators=separators, max_bytes=max_bytes)
        if parsed.errors or parsed.skipped or parsed.mode != "cards" or parsed.key != deck_key:
            return None
        if parsed.warnings:
            if parsed.cards or not reuse:
                return None
            # nothing re-read holds a card (cards deleted): read one kept segment with cards too
            back = next((k for k, j in reuse.items() if table.cards[j]), None)
            if back is None:
                return None
            del reuse[back]
            continue
        if len(parsed.cards) > 2000:
            return None  # that much changed: a full import costs about the same
        # one pass over the deck's rows: the live ones in file order, the archived ones, the
        # texts on more than one row, and the kept rows with a front or back of a card read again
        fronts = sorted({c.front for c in parsed.cards})
        backs = sorted({c.back for c in parsed.cards})
        rows = conn.execute(
            f"SELECT id, line, position, archived, content_hash,"
            f" CASE WHEN front IN ({','.join('?' * len(fronts))}) THEN front END,"
            f" CASE WHEN back IN ({','.join('?' * len(backs))}) THEN back END FROM card WHERE deck_id = ?",
            (*fronts, *backs, deck_id)).fetchall()
        live = [r for r in rows if not r[3]]  # in position order as the index gives them, or sorted
        if [r[2] for r in live] != list(range(n_old)):
            live.sort(key=lambda r: r[2])
            if [r[2] for r in live] != list(range(n_old)):
                return None  # the stored cards are not the ones the table describes
        for j in reused:
            n = table.cards[j]  # its rows are where the table says (in file order: first and last suffice)
            if n and not (old_line[j] < live[old_pos[j]][1] and live[old_pos[j] + n - 1][1]
                          <= old_line[j] + table.lines[j]):
                return None
        # a kept card must not share its text with another row of the deck, nor be linked away
        every = [r[4] for r in rows]
        twice = {h for h, n in Counter(every).items() if n > 1} if len(set(every)) != len(every) else set()
        drop = {old_segment(r[2]) for r in live if r[4] in twice} if twice else set()
        drop.update(old_segment(r[0]) for r in conn.execute(
            "SELECT c.position FROM card_link k JOIN card c ON c.id = k.old_card_id WHERE c.deck_id = ?"
            " AND c.archived = 0", (deck_id,)))
        drop &= reused
        if drop:
            reuse = {i: j for i, j in reuse.items() if j not in drop}
            continue
        break
    else:
        return None
    # the new file's cards in order: kept segments' rows and the cards read again (their lines
    # are the synthetic text's: put back where they are in the file)
    by_seg: dict[int, list[Any]] = defaultdict(list)
    for c in parsed.cards:
        line = file_line(line_map, c.line)
        k = bisect_right(starts, line - 1) - 1
        if k not in keep:
            return None
        by_seg[k].append(replace(c, line=line) if line != c.line else c)
    counts: list[int] = []
    fresh: list[tuple[int, Any]] = []  # (position in the file, card) of the cards read again
    shifts: list[tuple[int, int, str, int]] = []
    now = store.utc_now_iso()
    pos = 0
    for i, seg in enumerate(segs):
        old = reuse.get(i)
        if old is None:
            cards = by_seg.get(i, [])
            fresh.extend((pos + k, c) for k, c in enumerate(cards))
            counts.append(len(cards))
            pos += len(cards)
            continue
        n = table.cards[old]
        dl, dp = seg.start - old_line[old], pos - old_pos[old]
        if dl or dp:
            shifts.extend((r[1] + dl, r[2] + dp, now, r[0]) for r in live[old_pos[old]:old_pos[old] + n])
        counts.append(n)
        pos += n
    if pos > int(_limits.MAX_CARDS * scale(max_bytes, len(data))) or len(parsed.cards) != len(fresh):
        return None
    texts = [card_text(c) for _, c in fresh]
    hashes = [text_hash(t) for t in texts]
    fresh_hashes = set(hashes)
    kept_fronts, kept_backs = Counter[str](), Counter[str]()
    for r in [r for r in live if r[4] in fresh_hashes or r[5] is not None or r[6] is not None]:
        if old_segment(r[2]) not in reused:
            continue
        if r[4] in fresh_hashes:
            return None  # a card read again has the text of a kept one: pair them as a full import does
        if r[5] is not None:
            kept_fronts[r[5]] += 1
        if r[6] is not None:
            kept_backs[r[6]] += 1
    report = DeckReport(path=str(path), key=parsed.key, title=parsed.title)
    stamp = _stamp(conn, deck_id, parsed.key)
    deck_fields = (parsed.title, source, digest, dumps(list(parsed.tags)), dumps(parsed.options), parsed.mode, now)
    plan = _Plan(deck_id=deck_id, key=parsed.key, stamp=stamp, deck_fields=deck_fields, adopt_from=None,
                 now=now, position=position)
    # the stored rows the cards read again may pair with: the live rows of the segments that
    # changed, and every archived row (read as _plan reads them, in its order)
    linked_away = {r[0] for r in conn.execute("SELECT old_card_id FROM card_link")}
    cols = ("SELECT c.id, c.uid, c.content_hash, c.norm_hash, c.kind, c.variant, c.heading_path, c.archived, c.line,"
            " c.position, s.reviews FROM card c LEFT JOIN card_state s ON s.card_id = c.id")
    wanted = [r[0] for r in rows if r[3]] + [r[0] for j in range(len(old_pos)) if j not in reused
                                            for r in live[old_pos[j]:old_pos[j] + table.cards[j]]]
    raw_rows: list[Any] = []
    for k in range(0, len(wanted), 500):
        chunk = wanted[k:k + 500]
        raw_rows += conn.execute(cols + f" WHERE c.id IN ({','.join('?' * len(chunk))})", tuple(chunk)).fetchall()
    raw_rows.sort(key=lambda r: (r[9], r[0]))  # the (deck_id, position) index order _plan reads them in
    old_rows = [_Old(r[0], r[1], r[2], r[3], r[4], r[5], r[6], "", "", "", bool(r[7]), r[8], r[9], r[10] or 0,
                     r[0] in linked_away) for r in raw_rows]
    _plan_cards(conn, plan, parsed, report, fresh, texts, hashes, old_rows, deck_id, kept_fronts, kept_backs)
    report.unchanged += sum(table.cards[j] for j in reused)
    return plan, report, shifts, counts


def _plan_cards(
    conn: Connection, plan: _Plan, parsed: ParsedDeck, report: DeckReport, fresh: list[tuple[int, Any]],
    texts: list[str], hashes: list[str], old_rows: list[_Old], deck_id: int,
    kept_fronts: Counter[str], kept_backs: Counter[str],
) -> None:
    """:func:`_plan`'s matching, for the cards read again (``fresh``: (position in the file, card))
    against the stored rows they may pair with: the same layers in the same order."""
    loaded: dict[int, tuple[str, str, str]] = {}

    def old_text(ids: list[int]) -> dict[int, tuple[str, str, str]]:
        want = [i for i in ids if i not in loaded]
        for k in range(0, len(want), 500):
            chunk = want[k:k + 500]
            loaded.update((r[0], (r[1], r[2], r[3])) for r in conn.execute(
                f"SELECT id, front, back, extra FROM card WHERE id IN ({','.join('?' * len(chunk))})", tuple(chunk)))
        return {i: loaded[i] for i in ids if i in loaded}

    now, position = plan.now, plan.position
    cards = [c for _, c in fresh]
    path_json: dict[tuple[str, ...], str] = {}
    paths = [path_json.get(c.heading_path) or path_json.setdefault(c.heading_path, dumps(list(c.heading_path)))
             for c in cards]
    extras = [dumps(c.extra) if c.extra else "{}" for c in cards]
    by_id = {o.id: o for o in old_rows}
    match_pairs: dict[int, tuple[int, str, float]] = {}
    rewrites: list[Any] = []
    norms: list[str] = [""] * len(cards)
    candidates = [o for o in old_rows if not o.linked_away]
    if candidates:
        by_hash: dict[str, list[_Old]] = defaultdict(list)
        for o in sorted(candidates, key=lambda o: (not o.archived, -o.position)):
            by_hash[o.content_hash].append(o)
        free = {o.id for o in candidates}
        left: list[int] = []
        for i, h in enumerate(hashes):
            bucket = by_hash.get(h)
            while bucket:
                o = bucket.pop()
                if o.id in free:
                    free.discard(o.id)
                    match_pairs[i] = (o.id, "exact", 1.0)
                    norms[i] = o.norm_hash
                    break
            else:
                left.append(i)
        for i in left:
            norms[i] = norm_text_hash(texts[i])
        if left and free:
            # keys are positions in the file, as a full import gives them; fronts and backs are
            # counted over the whole file (the cards read again, and the kept rows)
            fronts = Counter(c.front for c in cards)
            backs = Counter(c.back for c in cards)
            fronts.update(kept_fronts)
            backs.update(kept_backs)
            result = match_cards(
                [MatchCard(o.id, o.kind, o.variant, "", "", "", o.heading_path, o.position, o.content_hash,
                           o.norm_hash, o.archived, o.reviews > 0) for o in candidates if o.id in free],
                [MatchCard(fresh[i][0], cards[i].kind, cards[i].variant, cards[i].front, cards[i].back, extras[i],
                           paths[i], fresh[i][0], hashes[i], norms[i]) for i in left],
                old_text, fronts=fronts, backs=backs,
            )
            at = {fresh[i][0]: i for i in left}
            match_pairs.update((at[k], v) for k, v in result.pairs.items())
            rewrites = [(at[rw.new], rw) for rw in result.rewrites]
    else:
        norms = [norm_text_hash(t) for t in texts]

    paired = {o_id for o_id, _, _ in match_pairs.values()}
    shown_ids = [o_id for i, (o_id, _, _) in match_pairs.items() if by_id[o_id].content_hash != hashes[i]]
    shown_ids += [o.id for o in old_rows if o.id not in paired and not o.archived]
    shown_ids += [rw.old for _, rw in rewrites]
    if shown_ids:
        for k, (front, back, extra) in old_text(shown_ids).items():
            o = by_id[k]
            o.front, o.back, o.extra = front, back, extra

    taken = _DeckUids(conn, deck_id)
    new_uid: dict[int, str] = {}
    claimed: set[int] = set()
    for i, c in enumerate(cards):
        gi = fresh[i][0]
        gpos = position * DECK_SLOT + gi
        row = (
            c.kind, c.variant, c.front, c.back, extras[i], paths[i],
            dumps(list(c.tags)) if c.tags else "[]", c.line, gi, hashes[i], norms[i],
        )
        pair = match_pairs.get(i)
        if pair is None:
            uid = stable_uid(parsed.key, hashes[i], taken)  # type: ignore[arg-type]
            taken.add(uid)
            new_uid[i] = uid
            plan.new_cards.append((uid, *row))
            plan.new_positions.append(gpos)
            report.new += 1
            report.cards.append(CardChange("new", parsed.path, c.line, _one_line(c.front), uid,
                                           hashes=(hashes[i], norms[i])))
            continue
        o = by_id[pair[0]]
        claimed.add(o.id)
        _record_paired(plan, report, parsed.path, c, o, pair[1], pair[2], row, gpos, gi, hashes[i], paths[i], now)
    _archive_unclaimed(plan, report, parsed.path, old_rows, claimed)
    for i, rw in rewrites:
        o, c = by_id[rw.old], cards[i]
        report.rewrites.append(RewriteReport(
            old_id=o.id, old_uid=o.uid, old_front=o.front, old_back=o.back, old_line=o.line, old_archived=o.archived,
            new_uid=new_uid[i], new_front=c.front, new_back=c.back, new_line=c.line, path=parsed.path,
            score=rw.score, reviews=o.reviews,
        ))


class _DeckUids:
    """The uids of a deck's stored cards, asked of the database one at a time (a new card's uid
    is checked against them), and the ones given out during this import."""

    def __init__(self, conn: Connection, deck_id: int) -> None:
        self.conn, self.deck_id = conn, deck_id
        self.added: set[str] = set()

    def __contains__(self, uid: object) -> bool:
        return uid in self.added or self.conn.execute(
            "SELECT 1 FROM card WHERE uid = ? AND deck_id = ?", (uid, self.deck_id)).fetchone() is not None

    def add(self, uid: str) -> None:
        self.added.add(uid)
