"""Merging an export into a home: log rows unioned by uid, the touched cards replayed.

The local cards and log uids are read with SQLModel ``select()`` in one write session
(``BEGIN IMMEDIATE``); the replay (:mod:`studyllm.store.replay`, plain ``sqlite3``, shared with
undo) writes through the same connection, inside the same transaction.

Answers are matched to local cards by card uid, else by deck key and content hash; cards this
home doesn't know are reported, never guessed. All in one write transaction: a bad file
(:func:`studyllm.store.export_format.load_export` checks it before anything is opened) or a
failure half-way changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from studyllm.store.export_format import ExportData, load_export
from studyllm.store.models import Card, Deck, ReviewLog
from studyllm.store.orm import raw_connection, session
from studyllm.store.replay import Event, card_rows, chunks, replay_and_write
from studyllm.store.service import Store
from studyllm.store.sync_decks import DeckArrivals

__all__ = ["ImportProgressReport", "UnknownCard", "import_progress", "merge_export", "place_export_decks"]


@dataclass
class UnknownCard:
    uid: str
    deck_key: str
    front: str
    reviews: int


@dataclass
class ImportProgressReport:
    source: str
    rows_in_file: int = 0
    added: int = 0
    already_present: int = 0
    cards_replayed: int = 0
    matched_by_uid: int = 0
    matched_by_content: int = 0
    log_rows_fixed: int = 0
    unknown: list[UnknownCard] = field(default_factory=list)
    dry_run: bool = False

    @property
    def skipped_unknown(self) -> int:
        return sum(u.reviews for u in self.unknown)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "dry_run": self.dry_run, "rows_in_file": self.rows_in_file, "added": self.added,
            "already_present": self.already_present, "cards_replayed": self.cards_replayed,
            "matched_by_uid": self.matched_by_uid, "matched_by_content": self.matched_by_content,
            "skipped_unknown": self.skipped_unknown,
            "unknown_cards": [u.__dict__ for u in self.unknown],
        }


def place_export_decks(store: Store, data: ExportData, *, dry_run: bool = False) -> DeckArrivals:
    """The learner decks an export carries (``deck_sources``) that this home lacks (or holds
    only as the shipped deck, or as an older unedited copy) are written to ``<home>/sync-decks``
    and imported, so the merge then places their answers. The learner's own deck files are
    never written to. ``dry_run``: only listed (in ``imported``), nothing written."""
    from studyllm.store.sync_decks import local_decks, needs, place

    out = DeckArrivals()
    local = local_decks(store)
    for deck in data.decks:
        target = needs(store, deck.key, deck.sha256, deck.ext, local, out)
        if target is None:
            continue
        if dry_run:
            out.imported.append(deck.key)
        else:
            place(store, deck.key, deck.data, target, out)
    return out


class _Rollback(Exception):
    pass


def import_progress(store: Store, path: Path | str, *, dry_run: bool = False) -> ImportProgressReport:
    """Merge an export into ``store`` in one transaction: log rows unioned by uid, states of
    touched cards rebuilt by replay. Raises :class:`ProgressError` (nothing changed) on bad input."""
    data = load_export(Path(path))
    return merge_export(store, data, dry_run=dry_run)


def merge_export(store: Store, data: ExportData, *, dry_run: bool = False) -> ImportProgressReport:
    report = ImportProgressReport(source=data.source, rows_in_file=len(data.log), dry_run=dry_run)
    leech_at = store.setting("leech_lapses")
    try:
        with session(store.database, write=True) as s:
            conn = raw_connection(s)  # the replay shared with undo writes in the session's transaction
            by_uid: dict[str, int] = {}
            by_content: dict[tuple[str, str], int] = {}
            local_uid: dict[int, str] = {}
            for cid, uid, key, chash in s.exec(
                select(Card.id, Card.uid, Deck.key, Card.content_hash).join(Deck, col(Deck.id) == col(Card.deck_id))
            ):
                assert cid is not None  # a stored card has its id
                by_uid[uid] = cid
                by_content.setdefault((key, chash), cid)
                local_uid[cid] = uid
            # map each exported card uid to a local card id
            resolved: dict[str, int | None] = {}

            def resolve(card_uid: str) -> int | None:
                if card_uid in resolved:
                    return resolved[card_uid]
                cid = by_uid.get(card_uid)
                if cid is not None:
                    report.matched_by_uid += 1
                else:
                    ec = data.cards.get(card_uid)
                    if ec is not None:
                        cid = by_content.get((ec.deck_key, ec.content_hash))
                        if cid is not None:
                            report.matched_by_content += 1
                resolved[card_uid] = cid
                return cid

            present: set[str] = set()
            uids = [r.uid for r in data.log]
            for chunk in chunks(uids, 900):
                present.update(s.exec(select(ReviewLog.uid).where(col(ReviewLog.uid).in_(chunk))))
            new_events: dict[int, list[Event]] = defaultdict(list)
            unknown: dict[str, int] = defaultdict(int)
            for i, row in enumerate(data.log):
                if row.uid in present:
                    report.already_present += 1
                    continue
                cid = resolve(row.card_uid)
                if cid is None:
                    unknown[row.card_uid] += 1
                    continue
                new_events[cid].append(Event(row.uid, row.reviewed_at, row.day, row.grade, row.duration_ms, order=i))
            # suspended / buried flags are not in the log: a card suspended on either side stays
            # suspended, and buried_until takes the later day
            flags: dict[int, tuple[bool, str | None]] = {}
            flag_ids = [cid for uid in data.flags if (cid := resolve(uid)) is not None]
            current = card_rows(conn, flag_ids) if flag_ids else {}
            for uid, (susp, buried) in data.flags.items():
                cid = resolve(uid)
                if cid is None or cid not in current:
                    continue
                _, _, l_susp, l_buried, *_ = current[cid]
                merged = (bool(l_susp) or susp, max(filter(None, (l_buried, buried)), default=None))
                if merged != (bool(l_susp), l_buried):
                    flags[cid] = merged
            touched = sorted(set(new_events) | set(flags))
            inserted, fixed = replay_and_write(
                conn, touched, leech_at=leech_at, new_events=new_events, card_uids=local_uid, flags=flags
            )
            report.added = inserted
            report.log_rows_fixed = fixed
            report.cards_replayed = len(touched)
            for uid, n in unknown.items():
                ec = data.cards.get(uid)
                report.unknown.append(
                    UnknownCard(uid=uid, deck_key=ec.deck_key if ec else "", front=(ec.front if ec else "")[:80],
                                reviews=n)
                )
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report

