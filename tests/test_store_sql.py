"""The column lists of studyllm.store.sql are the SQLModel models' columns, in order, and its
shared statements run against the schema a new database gets."""

from __future__ import annotations

import pytest

from studyllm.store import models, sql


@pytest.mark.parametrize(
    ("columns", "model"),
    [
        (sql.DECK_COLUMNS, models.Deck),
        (sql.CARD_COLUMNS, models.Card),
        (sql.CARD_STATE_COLUMNS, models.CardState),
        (sql.REVIEW_LOG_COLUMNS, models.ReviewLog),
    ],
    ids=["deck", "card", "card_state", "review_log"],
)
def test_every_tuple_is_its_models_columns_in_order(columns, model):
    assert columns == tuple(c.name for c in model.__table__.columns)


def test_the_derived_log_columns_are_the_replay_fields():
    from dataclasses import fields

    from studyllm.store.replay import Derived

    assert sql.REVIEW_LOG_DERIVED_COLUMNS == tuple(f.name for f in fields(Derived))
    assert sql.REVIEW_LOG_DERIVED_COLUMNS[0] == "kind" and sql.REVIEW_LOG_DERIVED_COLUMNS[-1] == "fsrs_after"


def test_the_shared_statements_run_on_a_new_database(store):
    from conftest import add_deck

    add_deck(store, "d", 2)
    card = store.next_card()
    store.answer(card.id, 4)
    with store.database.begin() as conn:
        state = sql.state_dict(conn.execute(sql.SELECT_STATE, (card.id,)).fetchone())
        assert state["card_id"] == card.id and state["reviews"] == 1
        state["lapses"] = 3
        conn.execute(sql.UPDATE_STATE, sql.state_update_params(state))
        logs = conn.execute(sql.SELECT_LOGS_OF_CARDS.format("?"), (card.id,)).fetchall()
        assert len(logs) == 1 and len(logs[0]) == 1 + len(sql.REVIEW_LOG_COLUMNS)
        row = dict(zip(sql.REVIEW_LOG_COLUMNS, logs[0][1:], strict=True))
        row["uid"] = "copy"
        conn.execute(sql.INSERT_REVIEW_LOG, tuple(row[c] for c in sql.REVIEW_LOG_INSERT_COLUMNS))
        conn.execute(sql.UPDATE_REVIEW_LOG_DERIVED, (*(row[c] for c in sql.REVIEW_LOG_DERIVED_COLUMNS), row["id"]))
    assert store.card(card.id).lapses == 3
    assert len(store.history(card.id)) == 2
