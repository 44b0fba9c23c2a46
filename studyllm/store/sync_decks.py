"""Decks travel through the sync folder too (``docs/sync.md``, "Decks").

Each home publishes the learner's own decks (not the shipped ones, not copies it got from the
folder) as they were last imported: the file's bytes go to ``<folder>/decks/<sha256><ext>``
(content-addressed, written once, atomically) and a ``deck`` event names the deck key, the
hash and the file's suffix. The last ``deck`` event by (time, device, seq) of a key wins.

A home that has no deck of that key (or only the shipped one, or an older copy it got from the
folder) writes the winning version to ``<home>/sync-decks/<key><ext>`` and imports it; the
answers waiting for its cards then land. The app never writes into a learner's own deck file:
a key the learner imported from their own file here is left alone (answers match its cards
by content hash), and a copy in ``sync-decks`` that was edited here is not replaced. When the
learner later imports their own file of that deck, it takes over the copy with its cards and
history (:mod:`studyllm.store.importer`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studyllm.decks.source import DeckReadError, read_deck_bytes
from studyllm.store.atomic import atomic_path
from studyllm.store.db import Connection, write_tx
from studyllm.store.importer import _is_shipped, import_file
from studyllm.store.service import Store
from studyllm.store.sync_events import DECK_EXT, deck_suffix, is_sync_copy, local_dir, publish_deck

__all__ = ["publish", "materialize", "check", "needs", "place", "local_decks", "deck_sources", "DeckArrivals"]

FOLDER_DIR = "decks"  # in the sync folder: <sha256><ext>
_HASH = re.compile(r"^[0-9a-f]{64}$")
_EXT = DECK_EXT
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def check(ev: dict[str, Any]) -> None:
    """A ``deck`` event's own fields (``ValueError`` says what is wrong)."""
    key, digest, ext = ev.get("deck"), ev.get("hash"), ev.get("ext")
    if not isinstance(key, str) or not key or len(key) > 200:
        raise ValueError("'deck' is missing or not a deck key")
    if not isinstance(digest, str) or not _HASH.match(digest):
        raise ValueError("'hash' is not a sha256")
    if not isinstance(ext, str) or not _EXT.match(ext):
        raise ValueError("'ext' is not a file suffix")


def _max_bytes(store: Store) -> int:
    return int(store.setting("max_deck_mb")) * 1024 * 1024


def blob(folder: Path, digest: str, ext: str) -> Path:
    return folder / FOLDER_DIR / f"{digest}{ext.lower()}"


def deck_sources(rows: list[tuple[str, str, str]], store: Store) -> list[tuple[str, Path, bytes, str]]:
    """(key, path, bytes, sha256) of each deck in ``rows`` (key, source path, content hash)
    that is the learner's (not shipped) and whose file is as last imported."""
    out = []
    for key, source, imported_hash in rows:
        if not source or _is_shipped(source):
            continue
        path = Path(source)
        try:
            data = read_deck_bytes(path, _max_bytes(store))  # it may be a FIFO by now, or /dev/zero
        except DeckReadError:
            continue  # gone, unreadable or not a file any more: the start-up scan reports it
        digest = hashlib.sha256(data).hexdigest()
        if imported_hash and digest != imported_hash:
            continue  # edited since its last import: it travels once the rescan has imported it
        out.append((key, path, data, digest))
    return out


suffix = deck_suffix


def publish(conn: Connection, store: Store, folder: Path, dev: str) -> int:
    """Put every learner deck whose file is as last imported and not published yet into the
    folder, with its ``deck`` event (inside the push's transaction). Returns how many. (An
    import publishes its version at once; this catches decks imported before sync was on.)"""
    rows = conn.execute("SELECT key, source_path, content_hash FROM deck WHERE archived = 0 ORDER BY key").fetchall()
    mine = [r for r in rows if not is_sync_copy(store, r[1])]  # copies from the folder are published by their home
    return sum(publish_deck(conn.raw, store, key, path, data, digest)
               for key, path, data, digest in deck_sources(mine, store))


@dataclass
class DeckArrivals:
    imported: list[str] = field(default_factory=list)  # deck keys imported or updated from the folder
    waiting: list[str] = field(default_factory=list)  # deck files not in the folder yet
    problems: list[str] = field(default_factory=list)


def needs(store: Store, key: str, digest: str, ext: str, local: dict[str, tuple[str, str]],
          out: DeckArrivals) -> Path | None:
    """Where deck ``key`` at version ``digest`` goes in this home, or ``None`` when it should
    not be written: the learner's own file holds that key, the copy already is that version,
    or the copy was edited here (reported in ``out``)."""
    home = local_dir(store)
    if home is None:
        return None
    mine = local.get(key)
    if mine is not None and mine[0] and not _is_shipped(mine[0]) and not is_sync_copy(store, mine[0]):
        return None  # the learner's own file of this deck: never written to, never replaced
    if mine is not None and is_sync_copy(store, mine[0]) and Path(mine[0]).is_file():
        current = hashlib.sha256(Path(mine[0]).read_bytes()).hexdigest()
        if current == digest:
            return None  # already this version
        if mine[1] and current != mine[1]:
            out.problems.append(f"{mine[0]}: edited on this machine, so another version of deck {key!r} was"
                                " not put over it (import your own copy of the deck to keep yours)")
            return None
        return Path(mine[0])
    return home / f"{_SAFE.sub('-', key)[:120] or 'deck'}{ext.lower()}"


def place(store: Store, key: str, data: bytes, target: Path, out: DeckArrivals) -> bool:
    """Write ``data`` (deck ``key``) to ``target`` in ``<home>/sync-decks`` and import it."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    report = import_file(store, target)
    if report.errors:
        out.problems.append(f"deck {key!r} could not be imported: {report.errors[0]}")
    elif report.key != key:
        out.problems.append(f"deck {key!r} was read as deck {report.key!r}")
    else:
        out.imported.append(key)
        return True
    return False


def local_decks(store: Store) -> dict[str, tuple[str, str]]:
    """deck key -> (source path, content hash as imported)."""
    with store.database.connect() as conn:
        return {k: (src, h) for k, src, h in conn.execute("SELECT key, source_path, content_hash FROM deck")}


APPLIED = "sync_deckat:"  # meta rows: the last version of a deck key this home has taken, [at, dev, seq]


def materialize(store: Store, folder: Path, dev: str) -> DeckArrivals:
    """Import, in the order they were made, the versions of every deck that other devices
    published and this home has not taken yet, where this home holds no deck of that key, only
    the shipped one, or an unedited copy from the folder. Importing every version in order (not
    only the last) gives each card the identity it got on the machine where the deck was edited."""
    out = DeckArrivals()
    with store.database.connect() as conn:
        rows = conn.execute("SELECT name, at, dev, seq, value FROM sync_stamp WHERE name LIKE 'deckv:%'"
                            " ORDER BY at, dev, seq").fetchall()
        applied = {k[len(APPLIED):]: tuple(json.loads(v)) for k, v in conn.execute(
            "SELECT key, value FROM meta WHERE key LIKE ?", (APPLIED + "%",))}
    versions: dict[str, list[tuple[Any, ...]]] = {}
    for name, at, vdev, seq, value in rows:
        versions.setdefault(name[len("deckv:"):].rsplit("|", 2)[0], []).append((at, vdev, seq, value))
    local = local_decks(store)
    for key, vs in sorted(versions.items()):
        done = applied.get(key)
        last = done
        for at, vdev, seq, value in vs:
            if done is not None and (at, vdev, seq) <= done:
                continue
            try:
                info = json.loads(value)
                digest, ext = info["hash"], info["ext"]
            except (ValueError, KeyError, TypeError):
                last = (at, vdev, seq)
                continue
            if vdev != dev:  # this home's own versions were imported here already
                target = needs(store, key, digest, ext, local, out)
                if target is not None:
                    src = blob(folder, digest, ext)
                    if not src.exists() and not src.is_symlink():
                        out.waiting.append(key)  # the sync tool has not brought the file yet
                        break
                    try:
                        # read as a deck file is: a FIFO put there would block, a link to /dev/zero never end
                        data = read_deck_bytes(src, _max_bytes(store))
                    except DeckReadError as exc:
                        out.problems.append(f"{src}: {exc}; deck {key!r} is tried again at the next sync")
                        break
                    if hashlib.sha256(data).hexdigest() != digest:
                        out.problems.append(f"{src}: damaged or incomplete (its content does not match its name);"
                                            f" deck {key!r} is tried again at the next sync")
                        break
                    place(store, key, data, target, out)
                    local = local_decks(store)
            last = (at, vdev, seq)
        if last is not None and last != done:
            with write_tx(store.database) as conn:
                conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value ="
                             " excluded.value", (APPLIED + key, json.dumps(list(last))))
    out.imported = list(dict.fromkeys(out.imported))
    return out
