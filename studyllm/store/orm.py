"""SQLModel sessions over the store's database, for the paths nobody times.

Export, merge, stats, browse search and the Anki export read (and the merge writes) through
SQLModel ``select()`` statements with typed rows. SQLAlchemy's import costs about a quarter of
a second, so this module is imported only by those paths, never by the TUI's start, the study
loop or a bulk import (``tests/test_store_db.py`` and ``tests/test_store_migrations.py`` check).

The engine hands out connections opened by :meth:`studyllm.store.db.Database._open`, so they
carry exactly the hot path's settings (WAL, foreign keys, busy timeout, ``synchronous=FULL``)
and autocommit, with transactions begun explicitly: a read session is one ``BEGIN`` (one
snapshot for a whole export), a write session ``BEGIN IMMEDIATE`` (the write lock up front,
as :func:`studyllm.store.db.write_tx` takes it).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, col
from sqlmodel.sql.expression import Select

from studyllm.store.db import Connection, Database, DatabaseError, StoreError, explain

__all__ = ["engine", "session", "raw_connection", "columns"]

_lock = threading.Lock()
_BEGIN = "studyllm_begin"  # execution option: the BEGIN mode of a session's transaction


def engine(database: Database) -> Engine:
    """The SQLAlchemy engine of ``database`` (made once, disposed with :meth:`Database.dispose`)."""
    with _lock:
        eng = database.orm_engine
        if eng is None:
            eng = create_engine("sqlite://", creator=database._open, poolclass=QueuePool, pool_size=2, max_overflow=8)

            @event.listens_for(eng, "begin")
            def _begin(conn: Any) -> None:
                mode = conn.get_execution_options().get(_BEGIN, "DEFERRED")
                conn.exec_driver_sql(f"BEGIN {mode}")

            database.orm_engine = eng
        return eng


@contextmanager
def session(database: Database, *, write: bool = False) -> Iterator[Session]:
    """A session in one transaction: committed when the block ends if ``write``, else rolled
    back (a read session changes nothing). SQLite errors become a :class:`StoreError`."""
    eng = engine(database)
    if write:
        eng = eng.execution_options(**{_BEGIN: "IMMEDIATE"})
    try:
        with Session(eng, autoflush=False, expire_on_commit=False) as s:
            s.connection()  # begin now: the snapshot (or the write lock) is taken here
            yield s
            if write:
                s.commit()
            else:
                s.rollback()
    except DatabaseError as exc:
        raise StoreError(explain(exc)) from None
    except Exception as exc:  # SQLAlchemy wraps the driver's errors
        orig = getattr(exc, "orig", None)
        if isinstance(orig, DatabaseError):
            raise StoreError(explain(orig)) from None
        raise


def columns(*attributes: Any) -> Any:
    """``select()`` of model attributes (``Card.uid``, ...) and expressions, any number of them.

    SQLModel's ``select()`` is typed for up to four columns; this builds the same statement
    for more (the attributes wrapped in ``col()``); its rows are left untyped (``Any``)."""
    return Select(*(col(a) if isinstance(a, InstrumentedAttribute) else a for a in attributes))


def raw_connection(s: Session) -> Connection:
    """The ``sqlite3`` connection under a session, inside its transaction, wrapped like the
    hot path's (for the replay code the merge shares with undo). Closing it does nothing: the
    session owns the connection."""
    dbapi = s.connection().connection.driver_connection
    if not isinstance(dbapi, sqlite3.Connection):
        raise TypeError(f"expected an sqlite3 connection under the session, got {type(dbapi).__name__}")
    return Connection(dbapi, None)
