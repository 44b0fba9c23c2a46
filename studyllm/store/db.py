"""Opening the SQLite database: pragmas, schema creation, upgrades, clear errors."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, OperationalError
from studyllm.store import constants

SCHEMA_VERSION = constants.SCHEMA_VERSION  # module attribute so tests can simulate a newer release

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000


class StoreError(Exception):
    """A problem with the database a user can act on (message is shown as is)."""


# Upgrades from version N to N+1, run in one transaction each. Version 1 is the first
# released schema, so this is empty; tests register a fake step to exercise the path.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that exists but is not an SQLite database, without touching it."""
    try:
        if not path.exists() or path.stat().st_size == 0:
            return
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the database file: {exc.strerror or exc}") from None
    if head != SQLITE_HEADER:
        raise StoreError(
            f"{path}: this file is not a studyllm (SQLite) database. It was left untouched; "
            "move it away or point --home / STUDYLLM_HOME at another folder."
        )


def _set_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (the documented pysqlite recipe),
    # so we can use BEGIN IMMEDIATE for writes and get the busy timeout on lock waits.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys = ON")
    mode = cur.execute("PRAGMA journal_mode = WAL").fetchone()
    if mode and str(mode[0]).lower() not in ("wal", "memory"):
        cur.execute("PRAGMA journal_mode = WAL")
    # FULL: a commit is on disk before we show the next card (WAL + NORMAL could lose
    # the last transactions on power loss).
    cur.execute("PRAGMA synchronous = FULL")
    cur.close()


def _begin(conn: Connection) -> None:
    mode = conn.info.pop("begin_mode", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(path: Path) -> Engine:
    """An engine for the database file at ``path`` (created on first connect)."""
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _set_pragmas)
    event.listen(engine, "begin", _begin)
    return engine


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction (BEGIN IMMEDIATE): takes the write lock up front, waiting up to
    the busy timeout, so two processes never fail half-way with "database is locked".

    A page cache grown with :func:`grow_page_cache` inside it is put back to its size after
    the commit or rollback, before the connection goes back to the pool."""
    with engine.connect() as conn:
        conn.info["begin_mode"] = "IMMEDIATE"
        try:
            with conn.begin():
                yield conn
        finally:
            restore = conn.info.pop("cache_size_before", None)
            if restore is not None and not conn.invalidated:
                conn.connection.dbapi_connection.execute(f"PRAGMA cache_size = {int(restore)}")


# SQLite's page cache for a bulk write (KiB per card in the card table, and a ceiling).
# The card table has three indexes on random keys (uid, content_hash, norm_hash: about
# 0.2 KiB of index pages per card), so a bulk insert lands on random index pages; once these
# no longer fit in the default 2 MiB cache (past about 10,000 cards) every insert reads its
# pages back from the WAL and dirty pages spill into it mid-transaction, and the insert time
# per card keeps growing with the table. With the indexes' pages in the cache it stays flat.
BULK_CACHE_KIB_PER_CARD = 0.25
BULK_CACHE_MAX_KIB = 64 * 1024


def grow_page_cache(conn: Connection, cards: int) -> None:
    """Inside :func:`write_tx`: let this connection's page cache hold the card indexes of a
    table of ``cards`` cards (never shrinks it; capped at ``BULK_CACHE_MAX_KIB``). The pages
    are only allocated as they are read, and the size is put back when the transaction ends."""
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    current_kib = -before if before < 0 else before * 4  # a positive size counts pages (4 KiB here)
    want_kib = min(BULK_CACHE_MAX_KIB, 2048 + int(cards * BULK_CACHE_KIB_PER_CARD))
    if want_kib <= current_kib:
        return
    conn.info.setdefault("cache_size_before", before)
    conn.exec_driver_sql(f"PRAGMA cache_size = {-want_kib}")


def schema_version(conn: Connection) -> int | None:
    has_meta = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
    ).first()
    if not has_meta:
        return None
    row = conn.exec_driver_sql("SELECT value FROM meta WHERE key='schema_version'").first()
    return int(row[0]) if row else None


def init_schema(engine: Engine) -> int:
    """Create the schema on an empty database or upgrade an older one. Returns the version found."""
    try:
        with write_tx(engine) as conn:
            found = schema_version(conn)
            if found is None:
                has_tables = conn.exec_driver_sql(
                    "SELECT count(*) FROM sqlite_master WHERE type='table'"
                ).scalar_one()
                if has_tables:
                    raise StoreError("the database has tables but no studyllm schema version")
                from sqlmodel import SQLModel  # only needed to create a new database

                SQLModel.metadata.create_all(conn, tables=_tables())
                conn.execute(
                    text("INSERT INTO meta(key, value) VALUES ('schema_version', :v)"),
                    {"v": str(SCHEMA_VERSION)},
                )
                return 0
            if found > SCHEMA_VERSION:
                raise StoreError(
                    f"the database has schema version {found}, newer than this studyllm "
                    f"understands ({SCHEMA_VERSION}); upgrade studyllm"
                )
            version = found
            # an index the queue names (INDEXED BY) must exist even in a database made
            # before it was added (no data changes, so no new schema version)
            conn.exec_driver_sql(
                "CREATE INDEX IF NOT EXISTS ix_state_due_reviews ON card_state (due_day, position)"
                " WHERE queue IN (1, 2)"
            )
            while version < SCHEMA_VERSION:
                step = MIGRATIONS.get(version)
                if step is None:
                    raise StoreError(f"no upgrade path from schema version {version}")
                step(conn)
                version += 1
            if version != found:
                conn.execute(
                    text("UPDATE meta SET value=:v WHERE key='schema_version'"), {"v": str(version)}
                )
            return found
    except (DatabaseError, OperationalError) as exc:
        raise StoreError(explain(exc)) from None


def _tables() -> list:
    from studyllm.store import models

    return [
        models.Meta.__table__,
        models.Setting.__table__,
        models.Deck.__table__,
        models.Card.__table__,
        models.CardState.__table__,
        models.ReviewLog.__table__,
    ]


def explain(exc: Exception) -> str:
    """A user-facing sentence for an SQLite error."""
    msg = str(getattr(exc, "orig", exc))
    if "not a database" in msg or "malformed" in msg:
        return "the database file is damaged or not a database (" + msg + "); it was left untouched"
    if "readonly" in msg or "unable to open" in msg:
        return "cannot write to the database (" + msg + ")"
    if "locked" in msg:
        return "the database stayed locked by another studyllm process for too long (" + msg + ")"
    return msg


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
