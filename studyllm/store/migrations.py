"""Schema upgrades: numbered steps, the version kept in ``PRAGMA user_version``.

``STEPS[n]`` upgrades a database from schema version ``n`` to ``n + 1``. :func:`studyllm.store.db.init_schema`
runs every step a database needs, oldest first, in the one write transaction that also sets
``user_version``, so an upgrade that fails half-way leaves the file exactly as it was.

Every DDL change goes through a step, and a step is never edited once released: write the
statements as they stand at that version (not read from the models, which move on). Then
regenerate ``schema.sql`` (``python -m studyllm.store.schema --write``) and bump
``SCHEMA_VERSION`` in :mod:`studyllm.store.constants`; ``tests/test_store_migrations.py``
checks that a database of every older version, upgraded, has exactly the ``sqlite_master`` of
a new one.

Versions:

1. the first released schema. Its version was a row of the ``meta`` table
   (``schema_version``); ``user_version`` was 0.
2. the partial index ``ix_state_due_reviews`` that the queue names (``INDEXED BY``; some
   version-1 databases already had it, created outside any version), and the version moved to
   ``PRAGMA user_version``. The ``meta`` row is still written (see :data:`LEGACY_KEY`).
3. the ``source`` table (deck files and folders given to ``studyllm import``, re-scanned at
   start-up) and the ``card_link`` table (rewritten cards whose history the learner linked).
4. the ``anki_card`` table (the Anki note GUID and template ordinal of cards imported from or
   exported to Anki, :mod:`studyllm.store.anki_import`).
5. the sync tables (``docs/sync.md``): ``sync_outbox``, ``sync_file``, ``sync_undone``,
   ``sync_stamp`` and ``sync_pending``.
6. FSRS beside SM-2 (issue #20, ``docs/scheduling.md``): ``card_state.fsrs_state`` and
   ``card_state.sm2_saved`` (JSON), ``review_log.fsrs_after`` (JSON). SQLite's ``ADD COLUMN``
   would put the columns after the table constraints in ``sqlite_master`` (not what a new
   database has), so both tables are rebuilt: copied aside, created anew, copied back, every
   row and id intact, and their indexes made again.
7. ``ix_state_drill`` on ``(drill_day, last_reviewed_at)`` for the cards with a drill pending
   (``WHERE drill_day IS NOT NULL``) instead of ``(drill_day)`` for every card: the queue's next
   drill (the day's oldest answer) is the index's first entry, where it was a sort of all the
   day's drills on every ``next_card`` (190 µs after 1,500 answers in a day).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from studyllm.store.constants import LEGACY_KEY  # noqa: F401  (re-exported; db.py reads it there)


class Executes(Protocol):
    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ..., /) -> Any: ...


def _v1_to_v2(conn: Executes) -> None:
    conn.execute(
        "CREATE INDEX IF NOT EXISTS ix_state_due_reviews ON card_state (due_day, position) WHERE queue IN (1, 2)"
    )


_V3_TABLES = (
    "CREATE TABLE source (\n\tpath VARCHAR NOT NULL, \n\tis_dir BOOLEAN NOT NULL, \n\tadded_at VARCHAR NOT NULL,"
    " \n\tlast_import_at VARCHAR, \n\tstate VARCHAR NOT NULL, \n\tmoved_to VARCHAR, \n\tPRIMARY KEY (path)\n)",
    "CREATE TABLE card_link (\n\tnew_card_id INTEGER NOT NULL, \n\told_card_id INTEGER NOT NULL,"
    " \n\tlinked_at VARCHAR NOT NULL, \n\tsnapshot VARCHAR NOT NULL, \n\tPRIMARY KEY (new_card_id),"
    " \n\tFOREIGN KEY(new_card_id) REFERENCES card (id) ON DELETE CASCADE, \n\tUNIQUE (old_card_id),"
    " \n\tFOREIGN KEY(old_card_id) REFERENCES card (id) ON DELETE CASCADE\n)",
)



_V4_STATEMENTS = (
    "CREATE TABLE anki_card (\n\tcard_id INTEGER NOT NULL, \n\tguid VARCHAR NOT NULL, \n\tord INTEGER NOT NULL,"
    " \n\tnote_type VARCHAR NOT NULL, \n\tPRIMARY KEY (card_id),"
    " \n\tFOREIGN KEY(card_id) REFERENCES card (id) ON DELETE CASCADE\n)",
    "CREATE INDEX ix_anki_card_guid ON anki_card (guid, ord)",
)



_V5_TABLES = (
    "CREATE TABLE sync_file (\n\tpath VARCHAR NOT NULL, \n\tpos INTEGER NOT NULL, \n\ttail VARCHAR NOT NULL,"
    " \n\tlines INTEGER NOT NULL, \n\tPRIMARY KEY (path)\n)",
    "CREATE TABLE sync_outbox (\n\tseq INTEGER NOT NULL, \n\tat VARCHAR NOT NULL, \n\tbody VARCHAR NOT NULL,"
    " \n\tPRIMARY KEY (seq)\n)",
    "CREATE TABLE sync_pending (\n\tuid VARCHAR NOT NULL, \n\tline VARCHAR NOT NULL, \n\tsource VARCHAR NOT NULL,"
    " \n\tPRIMARY KEY (uid)\n)",
    "CREATE TABLE sync_stamp (\n\tname VARCHAR NOT NULL, \n\tat VARCHAR NOT NULL, \n\tdev VARCHAR NOT NULL,"
    " \n\tseq INTEGER NOT NULL, \n\tvalue VARCHAR NOT NULL, \n\tPRIMARY KEY (name)\n)",
    "CREATE TABLE sync_undone (\n\tuid VARCHAR NOT NULL, \n\tPRIMARY KEY (uid)\n)",
)



_V6_CARD_STATE_COLUMNS = (
    "card_id, deck_id, position, queue, repetitions, ef_centi, interval, due_day, reviews, lapses,"
    " last_reviewed_at, drill_day, buried_until, suspended, leech"
)
_V6_REVIEW_LOG_COLUMNS = (
    "id, uid, card_id, card_uid, reviewed_at, day, grade, duration_ms, kind, reps_before, ef_before,"
    " interval_before, due_before, reps_after, ef_after, interval_after, due_after, state_before"
)
_V6_STATEMENTS = (
    "CREATE TEMP TABLE v6_card_state AS SELECT * FROM card_state",
    "DROP TABLE card_state",
    "CREATE TABLE card_state (\n\tcard_id INTEGER NOT NULL, \n\tdeck_id INTEGER NOT NULL, \n\tposition INTEGER"
    " NOT NULL, \n\tqueue INTEGER NOT NULL, \n\trepetitions INTEGER NOT NULL, \n\tef_centi INTEGER NOT NULL,"
    " \n\tinterval INTEGER NOT NULL, \n\tdue_day VARCHAR, \n\treviews INTEGER NOT NULL, \n\tlapses INTEGER NOT"
    " NULL, \n\tlast_reviewed_at VARCHAR, \n\tdrill_day VARCHAR, \n\tburied_until VARCHAR, \n\tsuspended"
    " BOOLEAN NOT NULL, \n\tleech BOOLEAN NOT NULL, \n\tfsrs_state VARCHAR, \n\tsm2_saved VARCHAR,"
    " \n\tPRIMARY KEY (card_id), \n\tFOREIGN KEY(card_id) REFERENCES card (id) ON DELETE CASCADE\n)",
    f"INSERT INTO card_state ({_V6_CARD_STATE_COLUMNS}) SELECT {_V6_CARD_STATE_COLUMNS} FROM v6_card_state",
    "DROP TABLE v6_card_state",
    "CREATE INDEX ix_state_deck_queue ON card_state (deck_id, queue, due_day)",
    "CREATE INDEX ix_state_drill ON card_state (drill_day)",
    "CREATE INDEX ix_state_due_reviews ON card_state (due_day, position) WHERE queue IN (1, 2)",
    "CREATE INDEX ix_state_leech ON card_state (deck_id) WHERE leech = 1",
    "CREATE INDEX ix_state_queue_due ON card_state (queue, due_day)",
    "CREATE INDEX ix_state_queue_position ON card_state (queue, position)",
    "CREATE TEMP TABLE v6_review_log AS SELECT * FROM review_log",
    "DROP TABLE review_log",
    "CREATE TABLE review_log (\n\tid INTEGER NOT NULL, \n\tuid TEXT NOT NULL, \n\tcard_id INTEGER NOT NULL,"
    " \n\tcard_uid VARCHAR NOT NULL, \n\treviewed_at VARCHAR NOT NULL, \n\tday VARCHAR NOT NULL, \n\tgrade"
    " INTEGER NOT NULL, \n\tduration_ms INTEGER NOT NULL, \n\tkind VARCHAR NOT NULL, \n\treps_before INTEGER NOT"
    " NULL, \n\tef_before INTEGER NOT NULL, \n\tinterval_before INTEGER NOT NULL, \n\tdue_before VARCHAR,"
    " \n\treps_after INTEGER NOT NULL, \n\tef_after INTEGER NOT NULL, \n\tinterval_after INTEGER NOT NULL,"
    " \n\tdue_after VARCHAR, \n\tstate_before VARCHAR NOT NULL, \n\tfsrs_after VARCHAR, \n\tPRIMARY KEY (id),"
    " \n\tUNIQUE (uid), \n\tFOREIGN KEY(card_id) REFERENCES card (id) ON DELETE CASCADE\n)",
    f"INSERT INTO review_log ({_V6_REVIEW_LOG_COLUMNS}) SELECT {_V6_REVIEW_LOG_COLUMNS} FROM v6_review_log",
    "DROP TABLE v6_review_log",
    "CREATE INDEX ix_log_card ON review_log (card_id, reviewed_at)",
    "CREATE INDEX ix_log_day ON review_log (day, kind, interval_before, grade, card_id)",
    "CREATE INDEX ix_log_reviewed_at ON review_log (reviewed_at)",
)


_V7_STATEMENTS = (
    "DROP INDEX ix_state_drill",
    "CREATE INDEX ix_state_drill ON card_state (drill_day, last_reviewed_at) WHERE drill_day IS NOT NULL",
)


def _statements(statements: Sequence[str]) -> Callable[[Executes], None]:
    """A step that runs ``statements`` in order (the DDL of one schema version)."""

    def step(conn: Executes) -> None:
        for statement in statements:
            conn.execute(statement)

    return step


STEPS: dict[int, Callable[[Executes], None]] = {
    1: _v1_to_v2,
    2: _statements(_V3_TABLES),
    3: _statements(_V4_STATEMENTS),
    4: _statements(_V5_TABLES),
    5: _statements(_V6_STATEMENTS),
    6: _statements(_V7_STATEMENTS),
}
