"""Column lists and the statements more than one module runs, in one place.

The SQLModel models (:mod:`studyllm.store.models`) are the schema; the tuples here are their
columns in the models' order, so the hot paths can run plain ``sqlite3`` without importing
SQLModel. ``tests/test_store_sql.py`` checks every tuple against its model, so a column added
to a model and forgotten here fails a test instead of being silently left out of an update.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DECK_COLUMNS = (
    "id", "key", "title", "source_path", "content_hash", "tags", "options", "mode", "position", "archived",
    "created_at", "updated_at",
)
CARD_COLUMNS = (
    "id", "uid", "deck_id", "kind", "variant", "front", "back", "extra", "heading_path", "tags", "line",
    "position", "content_hash", "norm_hash", "archived", "created_at", "updated_at",
)
CARD_STATE_COLUMNS = (
    "card_id", "deck_id", "position", "queue", "repetitions", "ef_centi", "interval", "due_day", "reviews",
    "lapses", "last_reviewed_at", "drill_day", "buried_until", "suspended", "leech", "fsrs_state", "sm2_saved",
)
REVIEW_LOG_COLUMNS = (
    "id", "uid", "card_id", "card_uid", "reviewed_at", "day", "grade", "duration_ms", "kind", "reps_before",
    "ef_before", "interval_before", "due_before", "reps_after", "ef_after", "interval_after", "due_after",
    "state_before", "fsrs_after",
)

# card_state: every column but the key, in order, then the key (see state_update_params)
STATE_VALUE_COLUMNS = CARD_STATE_COLUMNS[1:]
SELECT_STATE = f"SELECT {', '.join(CARD_STATE_COLUMNS)} FROM card_state WHERE card_id = ?"
UPDATE_STATE = f"UPDATE card_state SET {', '.join(f'{c} = ?' for c in STATE_VALUE_COLUMNS)} WHERE card_id = ?"

# review_log: a new row (the id is SQLite's), parameters in REVIEW_LOG_INSERT_COLUMNS order
REVIEW_LOG_INSERT_COLUMNS = REVIEW_LOG_COLUMNS[1:]
INSERT_REVIEW_LOG = (
    f"INSERT INTO review_log ({', '.join(REVIEW_LOG_INSERT_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(REVIEW_LOG_INSERT_COLUMNS))})"
)
# the fields of a log row that replay derives (see studyllm.store.replay.Derived)
REVIEW_LOG_DERIVED_COLUMNS = REVIEW_LOG_COLUMNS[8:]
UPDATE_REVIEW_LOG_DERIVED = (
    f"UPDATE review_log SET {', '.join(f'{c} = ?' for c in REVIEW_LOG_DERIVED_COLUMNS)} WHERE id = ?"
)
# a card's whole log, oldest first: card_id, then the columns of REVIEW_LOG_COLUMNS
SELECT_LOGS_OF_CARDS = (
    f"SELECT card_id, {', '.join(REVIEW_LOG_COLUMNS)} FROM review_log"
    " WHERE card_id IN ({}) ORDER BY card_id, reviewed_at, uid"
)


def state_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    """A row of :data:`SELECT_STATE` as a dict keyed by column."""
    return dict(zip(CARD_STATE_COLUMNS, row, strict=True))


def state_update_params(state: Mapping[str, Any]) -> tuple[Any, ...]:
    """The parameters of :data:`UPDATE_STATE` for one card's state dict."""
    return (*(state[c] for c in STATE_VALUE_COLUMNS), state["card_id"])
