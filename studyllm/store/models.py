"""SQLModel tables (schema version: see constants.SCHEMA_VERSION).

Instants are ISO-8601 UTC strings; study days and due dates are ISO dates
(``YYYY-MM-DD``), which sort correctly as text. Easiness is kept as integer
hundredths (``ef_centi``) so the SM-2 arithmetic stays exact.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, Text, text
from sqlmodel import Field, SQLModel

from studyllm.store.constants import (  # noqa: F401  (re-exported)
    QUEUE_ARCHIVED,
    QUEUE_LEARNING,
    QUEUE_NEW,
    QUEUE_REVIEW,
    QUEUE_SUSPENDED,
    SCHEMA_VERSION,
)


class Meta(SQLModel, table=True):
    """Key/value facts about the database itself, e.g. ``schema_version``."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class Setting(SQLModel, table=True):
    """User settings; ``value`` is JSON text."""

    __tablename__ = "setting"
    key: str = Field(primary_key=True)
    value: str


class Deck(SQLModel, table=True):
    __tablename__ = "deck"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(Text, unique=True, nullable=False))
    title: str
    source_path: str = ""
    content_hash: str = ""
    tags: str = "[]"  # JSON list
    options: str = "{}"  # JSON object: new_per_day, reviews_per_day ...
    mode: str = "cards"
    position: int = 0  # order of decks on the home screen and for new cards
    archived: bool = False
    created_at: str
    updated_at: str


class Card(SQLModel, table=True):
    __tablename__ = "card"
    __table_args__ = (
        Index("ix_card_deck_position", "deck_id", "position"),
        Index("ix_card_content_hash", "content_hash"),
        Index("ix_card_norm_hash", "norm_hash"),
    )
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(sa_column=Column(Text, unique=True, nullable=False))  # stable identity across machines
    deck_id: int = Field(sa_column=Column(Integer, ForeignKey("deck.id", ondelete="CASCADE"), nullable=False))
    kind: str
    variant: str = ""
    front: str
    back: str
    extra: str = "{}"  # JSON
    heading_path: str = "[]"  # JSON list
    tags: str = "[]"  # JSON list
    line: int = 1
    position: int = 0  # order within the deck file
    content_hash: str
    norm_hash: str
    archived: bool = False
    created_at: str
    updated_at: str


class CardState(SQLModel, table=True):
    """SM-2 and queue state of one card. ``deck_id`` and ``position`` are copied from the
    card so the queue can be served from one indexed table."""

    __tablename__ = "card_state"
    __table_args__ = (
        Index("ix_state_queue_due", "queue", "due_day"),
        Index("ix_state_queue_position", "queue", "position"),
        # today's drills oldest answer first (the card id, SQLite's rowid, ends every entry): the
        # queue's next drill is the first row, no sort of the day's drills; only cards with a
        # drill pending are in it, so an answer that leaves none writes no page of it
        Index("ix_state_drill", "drill_day", "last_reviewed_at", sqlite_where=text("drill_day IS NOT NULL")),
        Index("ix_state_deck_queue", "deck_id", "queue", "due_day"),  # per-deck counts, covering
        Index("ix_state_leech", "deck_id", sqlite_where=text("leech = 1")),
        # due reviews in queue order: the next review is the first row, no sort of all due cards
        Index("ix_state_due_reviews", "due_day", "position", sqlite_where=text("queue IN (1, 2)")),
    )
    card_id: int = Field(sa_column=Column(Integer, ForeignKey("card.id", ondelete="CASCADE"), primary_key=True))
    deck_id: int
    position: int = 0  # global new-card order: deck position, then card position
    queue: int = QUEUE_NEW
    repetitions: int = 0
    ef_centi: int = 250
    interval: int = 0
    due_day: str | None = None
    reviews: int = 0
    lapses: int = 0
    last_reviewed_at: str | None = None
    drill_day: str | None = None  # study day on which a same-day drill is pending
    buried_until: str | None = None  # hidden while today < buried_until
    suspended: bool = False
    leech: bool = False
    # FSRS (issue #20, docs/scheduling.md): the card's FSRS state as JSON (studyllm.schedule.FsrsState),
    # kept while the ``scheduler`` setting is "fsrs"; and, in FSRS mode, the SM-2 state the card had
    # when FSRS took over (JSON), from which switching back to SM-2 restores it exactly
    fsrs_state: str | None = None
    sm2_saved: str | None = None


class ReviewLog(SQLModel, table=True):
    """Append-only: one row per answer. ``state_before`` holds the whole card_state row
    as JSON so undo restores it exactly; ``uid`` makes logs mergeable across machines."""

    __tablename__ = "review_log"
    __table_args__ = (
        Index("ix_log_card", "card_id", "reviewed_at"),
        # covering index for the day's counts and for retention (day, kind, interval, grade)
        Index("ix_log_day", "day", "kind", "interval_before", "grade", "card_id"),
        Index("ix_log_reviewed_at", "reviewed_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(sa_column=Column(Text, unique=True, nullable=False))
    card_id: int = Field(sa_column=Column(Integer, ForeignKey("card.id", ondelete="CASCADE"), nullable=False))
    card_uid: str
    reviewed_at: str  # UTC instant, ISO 8601
    day: str  # study day (local date shifted by the rollover hour)
    grade: int
    duration_ms: int = 0
    kind: str  # "new", "review", "relearn" or "drill" (same-day drill: SM-2 state unchanged)
    reps_before: int
    ef_before: int
    interval_before: int
    due_before: str | None = None
    reps_after: int
    ef_after: int
    interval_after: int
    due_after: str | None = None
    state_before: str = "{}"  # JSON snapshot of card_state before this answer
    fsrs_after: str | None = None  # FSRS answers: the card's FSRS state after this answer (JSON)


class Source(SQLModel, table=True):
    """A file or folder given to ``studyllm import`` (or picked on the Import screen): re-scanned
    at start-up like the ``deck_folders``. ``path`` is absolute; ``state`` is what the last scan
    found: ``ok``, ``missing`` or ``moved`` (the decks it held now live elsewhere)."""

    __tablename__ = "source"
    path: str = Field(primary_key=True)
    is_dir: bool = False
    added_at: str
    last_import_at: str | None = None
    state: str = "ok"
    moved_to: str | None = None


class CardLink(SQLModel, table=True):
    """A confirmed rewrite: ``old_card_id``'s answers were moved onto ``new_card_id``.
    ``snapshot`` (JSON) holds both cards' state rows and the moved log rows as they were
    before, so ``studyllm unlink`` puts everything back exactly."""

    __tablename__ = "card_link"
    new_card_id: int = Field(sa_column=Column(Integer, ForeignKey("card.id", ondelete="CASCADE"), primary_key=True))
    old_card_id: int = Field(sa_column=Column(Integer, ForeignKey("card.id", ondelete="CASCADE"), nullable=False,
                                              unique=True))
    linked_at: str
    snapshot: str = "{}"


class AnkiCard(SQLModel, table=True):
    """A card that came from (or was sent to) Anki: the note's GUID and the card's template
    ordinal, so exporting back updates the same notes and re-importing a package finds its
    cards again (:mod:`studyllm.store.anki_import`)."""

    __tablename__ = "anki_card"
    __table_args__ = (Index("ix_anki_card_guid", "guid", "ord"),)
    card_id: int = Field(sa_column=Column(Integer, ForeignKey("card.id", ondelete="CASCADE"), primary_key=True))
    guid: str
    ord: int = 0
    note_type: str = ""  # "basic", "reversed", "cloze" or "other"


class SyncOutbox(SQLModel, table=True):
    """Sync (``docs/sync.md``): this device's events not yet appended to its journal in the sync
    folder, written in the same transaction as the answer, undo, bury... they record. ``seq`` is
    the device's sequence number; the newest pushed row is kept so the numbers never restart."""

    __tablename__ = "sync_outbox"
    seq: int | None = Field(default=None, primary_key=True)
    at: str  # UTC instant of the event, as the device's clock gave it
    body: str  # the event as a JSON object (without dev and seq, added when written out)


class SyncFile(SQLModel, table=True):
    """How far each journal file of the sync folder has been merged: the bytes read (whole
    lines, ``pos``), ``tail`` the hex of the last bytes before it, to notice a file edited or truncated."""

    __tablename__ = "sync_file"
    path: str = Field(primary_key=True)  # relative to the sync folder, with /
    pos: int = 0
    tail: str = ""
    lines: int = 0


class SyncUndone(SQLModel, table=True):
    """Answers taken back by an undo event (on any device): never merged in again."""

    __tablename__ = "sync_undone"
    uid: str = Field(primary_key=True)


class SyncStamp(SQLModel, table=True):
    """Last-write-wins stamps (time, device, seq) of bury, suspend, settings and deck versions."""

    __tablename__ = "sync_stamp"
    name: str = Field(primary_key=True)  # "bury:<card uid>", "suspend:<card uid>", "setting:<key>", "deck:<key>"
    at: str
    dev: str
    seq: int
    value: str = ""


class SyncPending(SQLModel, table=True):
    """Events read from the sync folder for cards this home doesn't have (yet): kept and tried
    again at every sync, so nothing read is lost."""

    __tablename__ = "sync_pending"
    uid: str = Field(primary_key=True)
    line: str
    source: str = ""  # journal file and line, for the report
