"""The store's connection layer (``studyllm.store.db.Database``): the schema it creates is
the one SQLModel declares, transactions commit or roll back as documented, connections are
pooled across threads, and opening an existing database never imports SQLAlchemy."""

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from studyllm.store import Store
from studyllm.store import db as dbmod


def _schema(path: Path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())
    finally:
        con.close()


def test_new_database_has_exactly_the_sqlmodel_schema(tmp_path):
    """The DDL we run equals what SQLModel's own ``metadata.create_all`` creates."""
    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    with Store.open(tmp_path / "ours"):
        pass
    engine = create_engine(f"sqlite:///{tmp_path / 'theirs.db'}")
    SQLModel.metadata.create_all(engine, tables=[t for t in SQLModel.metadata.sorted_tables])
    engine.dispose()
    ours = _schema(tmp_path / "ours" / "studyllm.db")
    theirs = _schema(tmp_path / "theirs.db")
    assert ours == theirs
    assert any(r[0] == "index" and r[1] == "ix_state_due_reviews" for r in ours)


def test_connect_block_rolls_back_what_was_not_committed(tmp_path):
    db = dbmod.Database(tmp_path / "x.db")
    with db.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a INTEGER)")
    with db.connect() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert conn.raw.in_transaction  # begun before the first statement
    with db.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (?)", [(2,), (3,)])  # a list: once per row
    with pytest.raises(ZeroDivisionError), db.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (4)")
        _ = 1 / 0
    with db.connect() as conn:
        assert [r[0] for r in conn.exec_driver_sql("SELECT a FROM t ORDER BY a")] == [2, 3]
    db.dispose()


def test_write_tx_takes_the_write_lock_up_front(tmp_path):
    db = dbmod.Database(tmp_path / "x.db")
    with dbmod.write_tx(db) as conn:
        conn.exec_driver_sql("CREATE TABLE t (a INTEGER)")
    other = sqlite3.connect(tmp_path / "x.db", timeout=0)
    try:
        with dbmod.write_tx(db):
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        db.dispose()


def test_connections_are_reused_and_shared_across_threads(tmp_path):
    db = dbmod.Database(tmp_path / "x.db")
    with db.connect() as conn:
        first = conn.raw
    with db.connect() as conn:
        assert conn.raw is first  # the idle connection came back from the pool
    seen = []

    def work():
        with db.connect() as c:
            seen.append(c.exec_driver_sql("PRAGMA journal_mode").scalar())

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == ["wal"] * 8
    assert len(db._idle) <= dbmod.POOL_SIZE
    db.dispose()
    assert db._idle == []
    with db.connect() as conn:  # still usable after dispose
        assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    db.dispose()


def test_a_database_error_inside_begin_rolls_back(tmp_path):
    db = dbmod.Database(tmp_path / "x.db")
    with db.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    with pytest.raises(dbmod.DatabaseError), db.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (2)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")  # duplicate key
    with db.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 1
    db.dispose()


def test_the_tui_start_path_never_imports_sqlalchemy(tmp_path):
    """Opening an existing home, re-scanning the deck folders and building the app (what
    ``studyllm`` does before the first frame) must not pay for importing SQLAlchemy."""
    home = tmp_path / "home"
    with Store.open(home):  # creating the database is the one path that needs it
        pass
    code = (
        "import argparse, sys\n"
        "from studyllm.cli import _open_store, _sync_decks\n"
        f"store = _open_store(argparse.Namespace(home={str(home)!r}))\n"
        "_sync_decks(store)\n"
        "from studyllm.ui.app import build_app\n"
        "import studyllm.ui.screens.home, studyllm.ui.screens.study\n"
        "app = build_app(store)\n"
        "assert store.decks(), 'the shipped decks were synced'\n"
        "store.answer(store.next_card().id, 4)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'sqlmodel', 'pydantic')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout[:500]
