"""One schema: ``schema.sql`` is what the SQLModel models create, a new database runs it without
importing SQLAlchemy, and every older database upgraded through the numbered steps ends with
exactly the schema of a new one."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from studyllm.store import Store, migrations, schema
from studyllm.store import db as dbmod

DATA = Path(__file__).resolve().parent / "data"
DECKS = DATA / "decks"


def master(path: Path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())
    finally:
        con.close()


def user_version(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()


def fresh(tmp_path: Path) -> Path:
    with Store.open(tmp_path / "fresh"):
        pass
    return tmp_path / "fresh" / "studyllm.db"


def test_schema_sql_is_generated_from_the_models():
    assert schema.SCHEMA_FILE.read_text(encoding="utf-8") == schema.generate(), (
        "schema.sql is out of date: run python -m studyllm.store.schema --write"
    )
    assert schema.main(["--check"]) == 0


def test_schema_sql_creates_what_sqlmodel_metadata_creates(tmp_path):
    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    con = sqlite3.connect(tmp_path / "plain.db")
    for statement in schema.statements():
        con.execute(statement)
    con.commit()
    con.close()
    engine = create_engine(f"sqlite:///{tmp_path / 'theirs.db'}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    assert master(tmp_path / "plain.db") == master(tmp_path / "theirs.db")
    assert master(fresh(tmp_path)) == master(tmp_path / "theirs.db")


def test_a_new_database_carries_its_version_in_user_version(tmp_path):
    db = fresh(tmp_path)
    assert user_version(db) == dbmod.SCHEMA_VERSION
    with Store.open(db.parent) as store, store.database.connect() as conn:
        assert dbmod.schema_version(conn) == dbmod.SCHEMA_VERSION


def test_every_version_has_a_step():
    assert sorted(migrations.STEPS) == list(range(1, dbmod.SCHEMA_VERSION))


def _v1_copy(tmp_path: Path, name: str, *, drop_index: bool) -> Path:
    home = tmp_path / name
    home.mkdir()
    db = home / "studyllm.db"
    shutil.copyfile(DATA / "schema_v1.db", db)
    if drop_index:  # a version-1 database made before the stray index was added
        con = sqlite3.connect(db)
        con.execute("DROP INDEX ix_state_due_reviews")
        con.commit()
        con.close()
    return db


@pytest.mark.parametrize("drop_index", [False, True], ids=["v1-with-stray-index", "v1-as-released"])
def test_a_v1_database_upgraded_has_the_schema_of_a_new_one(tmp_path, drop_index):
    db = _v1_copy(tmp_path, "old", drop_index=drop_index)
    assert user_version(db) == 0  # schema 1 kept its version in the meta table
    assert ("index", "ix_state_due_reviews") in [r[:2] for r in master(db)] or drop_index
    with Store.open(db.parent) as store:
        assert store.next_card() is not None  # the queue's INDEXED BY finds its index
    assert master(db) == master(fresh(tmp_path))
    assert user_version(db) == dbmod.SCHEMA_VERSION
    con = sqlite3.connect(db)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(dbmod.SCHEMA_VERSION),)
    con.close()
    # opening again runs no step
    with Store.open(db.parent) as store, store.database.connect() as conn:
        assert dbmod.schema_version(conn) == dbmod.SCHEMA_VERSION


def test_an_upgrade_that_fails_leaves_the_version_alone(tmp_path, monkeypatch):
    db = _v1_copy(tmp_path, "old", drop_index=True)
    before = master(db)

    def broken(conn):
        conn.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setitem(dbmod.MIGRATIONS, 1, broken)
    with pytest.raises(dbmod.StoreError, match="disk I/O error"):
        Store.open(db.parent)
    assert master(db) == before and user_version(db) == 0


@pytest.mark.slow
def test_creating_a_database_never_imports_sqlalchemy(tmp_path):
    """A first ``studyllm import`` into a new home runs schema.sql with plain sqlite3."""
    home = tmp_path / "new-home"
    code = (
        "import sys\n"
        "from studyllm.cli import main\n"
        f"rc = main(['--home', {str(home)!r}, 'import', {str(DECKS)!r}])\n"
        "print(rc)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'sqlmodel', 'pydantic')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == "[]", lines[-1][:500]
    assert (home / "studyllm.db").exists() and user_version(home / "studyllm.db") == dbmod.SCHEMA_VERSION
    assert master(home / "studyllm.db") == master(fresh(tmp_path))


def test_the_check_mode_fails_on_a_stale_schema_sql(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "schema.sql"
    stale.write_text(schema.SCHEMA_FILE.read_text(encoding="utf-8").replace("ix_log_day", "ix_log_daily"),
                     encoding="utf-8")
    monkeypatch.setattr(schema, "SCHEMA_FILE", stale)
    assert schema.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert schema.main(["--write"]) == 0
    assert schema.main(["--check"]) == 0 and stale.read_text(encoding="utf-8") == schema.generate()


def test_split_reads_statements_and_refuses_a_cut_one():
    assert schema.split("-- a comment\nCREATE TABLE a (x);\n\nCREATE INDEX i ON a (x);\n") == [
        "CREATE TABLE a (x)", "CREATE INDEX i ON a (x)"]
    with pytest.raises(ValueError, match="not complete"):
        schema.split("CREATE TABLE a (x);\nCREATE TABLE b (\n")


@pytest.mark.parametrize("fixture", sorted(DATA.glob("schema_v*.db")), ids=lambda p: p.stem)
def test_every_released_schema_upgrades_to_the_schema_of_a_new_one(tmp_path, fixture):
    home = tmp_path / fixture.stem
    home.mkdir()
    shutil.copyfile(fixture, home / "studyllm.db")
    with Store.open(home):
        pass
    assert master(home / "studyllm.db") == master(fresh(tmp_path))
    assert user_version(home / "studyllm.db") == dbmod.SCHEMA_VERSION
