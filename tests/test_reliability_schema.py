"""Schema upgrades: a database from each released schema version opens with every row intact.

``tests/data/schema_v1.db`` was written by schema version 1 (``tests/data/make_schema_v1.py``:
three decks of every card kind, three weeks of answers, an undo, a buried, a suspended
and an archived card, and non-default settings). Add a ``schema_vN.db`` for every release.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from studyllm.store import Store, StoreError
from studyllm.store import db as dbmod

CURRENT = dbmod.SCHEMA_VERSION  # a simulated next release adds the step CURRENT -> CURRENT + 1

DATA = Path(__file__).resolve().parent / "data"
FIXTURES = sorted(DATA.glob("schema_v*.db"))
TABLES = ("meta", "setting", "deck", "card", "card_state", "review_log")


def dump(path: Path, columns: dict[str, list[str]] | None = None) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        out = {}
        for table in TABLES:
            cols = columns[table] if columns else [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            out[table] = sorted(conn.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall(), key=repr)
        return out
    finally:
        conn.close()


def columns_of(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        return {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in TABLES}
    finally:
        conn.close()


@pytest.fixture
def v1_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(DATA / "schema_v1.db", home / "studyllm.db")
    return home


def test_fixture_files_exist_and_cover_the_tables():
    assert DATA / "schema_v1.db" in FIXTURES
    rows = dump(DATA / "schema_v1.db")
    for table in TABLES:
        assert rows[table], f"the fixture has no {table} rows"
    kinds = {r[3] for r in rows["card"]}  # id, uid, deck_id, kind, ...
    assert {"basic", "cloze", "mcq", "ordered", "calc"} <= kinds


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_every_row_intact_after_opening(fixture, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    db = home / "studyllm.db"
    shutil.copyfile(fixture, db)
    before = dump(db)
    old_columns = columns_of(db)
    with Store.open(home) as store:
        assert store.decks(include_archived=True)
    after = dump(db, old_columns)  # the columns the old schema had (later versions add some)
    # the one row an upgrade rewrites: the old version signpost, now the current version
    assert ("schema_version", str(CURRENT)) in after["meta"]
    for rows in (before, after):
        rows["meta"] = [r for r in rows["meta"] if r[0] != "schema_version"]
    assert after == before


def test_v1_content_reads_back_through_the_store(v1_home):
    raw = dump(v1_home / "studyllm.db")
    with Store.open(v1_home) as store:
        s = store.settings()
        assert s["grading_mode"] == "four" and s["rollover_hour"] == 5 and s["new_per_day"] == 15
        assert s["deck_folders"] == ["~/notes/decks", "/srv/decks"]
        assert not store.warnings
        keys = {d.key for d in store.decks(include_archived=True)}
        assert keys == {"arch", "mixed", "old"}
        # every card's history through the API equals its log rows
        n_logs = 0
        for card_row in raw["card"]:
            card = store.card(card_row[0])
            assert card.uid == card_row[1]
            history = store.history(card.id)
            assert len(history) == card.reviews
            n_logs += len(history)
        assert n_logs == len(raw["review_log"])
        assert any(store.card(r[0]).archived for r in raw["card"])
        assert any(store.card(r[0]).suspended for r in raw["card"])
        assert any(store.card(r[0]).buried_until for r in raw["card"])
        # and it is still a working database
        card = store.next_card()
        assert card is not None
        result = store.answer(card.id, 4)
        assert store.history(card.id)[-1]["grade"] == 4 and result.log_uid


def _add_note_column(conn):
    conn.execute("ALTER TABLE card ADD COLUMN note TEXT NOT NULL DEFAULT ''")
    conn.execute("CREATE TABLE card_note_index (card_id INTEGER PRIMARY KEY REFERENCES card(id))")
    conn.execute("INSERT INTO card_note_index (card_id) SELECT id FROM card")


def test_upgrade_step_runs_in_place_with_no_row_lost(v1_home, monkeypatch):
    db = v1_home / "studyllm.db"
    old_columns = columns_of(db)
    before = dump(db)
    inode = os.stat(db).st_ino
    monkeypatch.setitem(dbmod.MIGRATIONS, CURRENT, _add_note_column)
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", CURRENT + 1)
    with Store.open(v1_home) as store:
        with store.database.connect() as conn:
            assert dbmod.schema_version(conn) == CURRENT + 1
            assert conn.execute("SELECT count(*) FROM card_note_index").fetchone()[0] == len(before["card"])
            assert conn.execute("SELECT count(*) FROM card WHERE note <> ''").fetchone()[0] == 0
    assert os.stat(db).st_ino == inode  # upgraded in place, not rebuilt elsewhere
    after = dump(db, old_columns)
    after["meta"] = [r for r in after["meta"] if r[0] != "schema_version"]
    expected = dict(before)
    expected["meta"] = [r for r in before["meta"] if r[0] != "schema_version"]
    assert after == expected
    files = sorted(f for f in os.listdir(v1_home) if f != "studyllm.db.lock")  # the lock every open store holds
    assert files in (["studyllm.db"], ["studyllm.db", "studyllm.db-shm", "studyllm.db-wal"])


def test_failing_upgrade_step_changes_nothing(v1_home, monkeypatch):
    db = v1_home / "studyllm.db"
    before = dump(db)

    def broken(conn):
        conn.execute("ALTER TABLE card ADD COLUMN note TEXT NOT NULL DEFAULT ''")
        conn.execute("DELETE FROM review_log")
        conn.execute("SELECT * FROM no_such_table")

    monkeypatch.setitem(dbmod.MIGRATIONS, CURRENT, broken)
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", CURRENT + 1)
    with pytest.raises(StoreError):
        Store.open(v1_home)
    assert dump(db) == before
    assert "note" not in columns_of(db)["card"]
    monkeypatch.undo()
    with Store.open(v1_home) as store:  # the unchanged version-1 database still opens
        assert store.next_card() is not None
