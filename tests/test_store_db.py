"""The store's connection layer (``studyllm.store.db.Database``): transactions commit or roll
back as documented, connections are pooled across threads, and opening an existing database
never imports SQLAlchemy (the schema a new one gets: ``test_store_migrations.py``)."""

import sqlite3
import subprocess
import sys
import threading

import pytest

from studyllm.store import Store
from studyllm.store import db as dbmod


def test_connect_block_rolls_back_what_was_not_committed(tmp_path):
    db = dbmod.Database(tmp_path / "x.db")
    with db.begin() as conn:
        conn.execute("CREATE TABLE t (a INTEGER)")
    with db.connect() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
        assert conn.raw.in_transaction  # begun before the first statement
    with db.begin() as conn:
        conn.executemany("INSERT INTO t VALUES (?)", [(2,), (3,)])
    with pytest.raises(ZeroDivisionError), db.begin() as conn:
        conn.execute("INSERT INTO t VALUES (4)")
        _ = 1 / 0
    with db.connect() as conn:
        assert [r[0] for r in conn.execute("SELECT a FROM t ORDER BY a")] == [2, 3]
    db.dispose()


def test_write_tx_takes_the_write_lock_up_front(tmp_path):
    db = dbmod.Database(tmp_path / "x.db")
    with dbmod.write_tx(db) as conn:
        conn.execute("CREATE TABLE t (a INTEGER)")
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
            seen.append(c.execute("PRAGMA journal_mode").fetchone()[0])

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
        assert conn.execute("SELECT 1").fetchone()[0] == 1
    db.dispose()


def test_a_database_error_inside_begin_rolls_back(tmp_path):
    db = dbmod.Database(tmp_path / "x.db")
    with db.begin() as conn:
        conn.execute("CREATE TABLE t (a INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(dbmod.DatabaseError), db.begin() as conn:
        conn.execute("INSERT INTO t VALUES (2)")
        conn.execute("INSERT INTO t VALUES (1)")  # duplicate key
    with db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 1
    db.dispose()


@pytest.mark.slow  # runs a subprocess
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
