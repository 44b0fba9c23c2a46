"""Opening the SQLite database: connections, pragmas, schema creation, upgrades, clear errors.

The schema is declared with SQLModel (:mod:`studyllm.store.models`); SQLAlchemy is imported
only to create a new database from those declarations. Day-to-day work (the TUI's start,
the study loop, imports) talks to SQLite through :class:`Database`, a small pool of
``sqlite3`` connections with the pragmas below, so opening the app doesn't pay the
quarter of a second that importing SQLAlchemy costs."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from studyllm.store import constants

SCHEMA_VERSION = constants.SCHEMA_VERSION  # module attribute so tests can simulate a newer release

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 5  # idle connections kept for reuse (threads each check one out)

DatabaseError = sqlite3.DatabaseError  # what SQLite raises on damage, locks, full disks...


class StoreError(Exception):
    """A problem with the database a user can act on (message is shown as is)."""


class Rows:
    """A statement's result, read straight off the ``sqlite3`` cursor: the handful of result
    methods the store uses (named as SQLAlchemy names them)."""

    __slots__ = ("cur",)

    def __init__(self, cur: sqlite3.Cursor):
        self.cur = cur

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.cur)

    def all(self) -> list[tuple]:
        return self.cur.fetchall()

    def first(self) -> tuple | None:
        return self.cur.fetchone()

    def one(self) -> tuple:
        row = self.cur.fetchone()
        if row is None:
            raise LookupError("query returned no row")
        return row

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalar(self) -> Any:
        row = self.cur.fetchone()
        return None if row is None else row[0]

    @property
    def lastrowid(self) -> int | None:
        return self.cur.lastrowid


class Connection:
    """One connection checked out of a :class:`Database`.

    :meth:`exec_driver_sql` starts a deferred transaction before its first statement, so the
    statements of one ``with db.connect()`` block read one snapshot; the block ends with a
    rollback unless :meth:`begin` committed. ``raw`` is the ``sqlite3`` connection itself,
    for hot paths that run single statements in autocommit."""

    __slots__ = ("raw", "info", "_db")

    def __init__(self, raw: sqlite3.Connection, db: Database):
        self.raw = raw
        self.info: dict[str, Any] = {}
        self._db: Database | None = db  # None once closed

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Roll back what was not committed and give the connection back to its pool (once:
        closing again does nothing)."""
        db, self._db = self._db, None
        if db is not None:
            db._give_back(self.raw)

    def exec_driver_sql(self, sql: str, params: Any = ()) -> Rows:
        """Run one statement with ``?`` (tuple) or ``:name`` (dict) parameters; a list of
        parameter sets runs it once per set (``executemany``)."""
        raw = self.raw
        if not raw.in_transaction:
            raw.execute("BEGIN")
        if isinstance(params, list):
            return Rows(raw.executemany(sql, params))
        return Rows(raw.execute(sql, params))

    @contextmanager
    def begin(self, mode: str = "DEFERRED") -> Iterator[Connection]:
        """A transaction: committed when the block ends, rolled back if it raises.
        ``mode="IMMEDIATE"`` takes the write lock up front (see :func:`write_tx`)."""
        if self.raw.in_transaction:
            raise RuntimeError("a transaction is already open on this connection")
        self.raw.execute(f"BEGIN {mode}")
        try:
            yield self
        except BaseException:
            self.raw.rollback()  # a no-op if SQLite already ended the transaction
            raise
        self.raw.commit()


def _set_pragmas(raw: sqlite3.Connection) -> None:
    cur = raw.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys = ON")
    mode = cur.execute("PRAGMA journal_mode = WAL").fetchone()
    if mode and str(mode[0]).lower() not in ("wal", "memory"):
        cur.execute("PRAGMA journal_mode = WAL")
    # FULL: a commit is on disk before we show the next card (WAL + NORMAL could lose
    # the last transactions on power loss).
    cur.execute("PRAGMA synchronous = FULL")
    cur.close()


class Database:
    """Connections to one SQLite file: opened on demand with the pragmas above, in
    autocommit mode (transactions are begun explicitly), shared across threads one at a
    time (a thread checks a connection out, uses it and gives it back), and up to
    ``POOL_SIZE`` idle ones kept for reuse."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _open(self) -> sqlite3.Connection:
        raw = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        try:
            _set_pragmas(raw)
        except BaseException:
            raw.close()
            raise
        return raw

    def connect(self) -> Connection:
        """A connection for this thread; use it as a context manager (``with``) so it goes
        back to the pool, its open transaction rolled back, when the block ends."""
        with self._lock:
            raw = self._idle.pop() if self._idle else None
        return Connection(raw if raw is not None else self._open(), self)

    def _give_back(self, raw: sqlite3.Connection) -> None:
        try:
            if raw.in_transaction:
                raw.rollback()
        except sqlite3.Error:  # a broken connection is not reused
            raw.close()
            return
        with self._lock:
            if len(self._idle) < POOL_SIZE:
                self._idle.append(raw)
                return
        raw.close()

    @contextmanager
    def begin(self, mode: str = "DEFERRED") -> Iterator[Connection]:
        """A connection inside one transaction, committed when the block ends."""
        with self.connect() as conn, conn.begin(mode):
            yield conn

    def dispose(self) -> None:
        """Close the idle connections (e.g. before the file is replaced or removed). The
        database stays usable: the next :meth:`connect` opens a new connection."""
        with self._lock:
            idle, self._idle = self._idle, []
        for raw in idle:
            raw.close()


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


@contextmanager
def write_tx(db: Database) -> Iterator[Connection]:
    """A write transaction (BEGIN IMMEDIATE): takes the write lock up front, waiting up to
    the busy timeout, so two processes never fail half-way with "database is locked".

    A page cache grown with :func:`grow_page_cache` inside it is put back to its size after
    the commit or rollback, before the connection goes back to the pool."""
    with db.connect() as conn:
        try:
            with conn.begin("IMMEDIATE"):
                yield conn
        finally:
            restore = conn.info.pop("cache_size_before", None)
            if restore is not None:
                conn.raw.execute(f"PRAGMA cache_size = {int(restore)}")


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


# Tables added after schema version 1 was released, as schema_ddl() writes them.
ADDED_TABLES = {
    "source": (
        "CREATE TABLE source (\n\tpath VARCHAR NOT NULL, \n\tis_dir BOOLEAN NOT NULL, \n\tadded_at VARCHAR NOT NULL,"
        " \n\tlast_import_at VARCHAR, \n\tstate VARCHAR NOT NULL, \n\tmoved_to VARCHAR, \n\tPRIMARY KEY (path)\n)"
    ),
    "card_link": (
        "CREATE TABLE card_link (\n\tnew_card_id INTEGER NOT NULL, \n\told_card_id INTEGER NOT NULL,"
        " \n\tlinked_at VARCHAR NOT NULL, \n\tsnapshot VARCHAR NOT NULL, \n\tPRIMARY KEY (new_card_id),"
        " \n\tFOREIGN KEY(new_card_id) REFERENCES card (id) ON DELETE CASCADE, \n\tUNIQUE (old_card_id),"
        " \n\tFOREIGN KEY(old_card_id) REFERENCES card (id) ON DELETE CASCADE\n)"
    ),
}


def schema_version(conn: Connection) -> int | None:
    has_meta = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
    ).first()
    if not has_meta:
        return None
    row = conn.exec_driver_sql("SELECT value FROM meta WHERE key='schema_version'").first()
    return int(row[0]) if row else None


def init_schema(db: Database) -> int:
    """Create the schema on an empty database or upgrade an older one. Returns the version found."""
    try:
        with write_tx(db) as conn:
            found = schema_version(conn)
            if found is None:
                has_tables = conn.exec_driver_sql(
                    "SELECT count(*) FROM sqlite_master WHERE type='table'"
                ).scalar_one()
                if has_tables:
                    raise StoreError("the database has tables but no studyllm schema version")
                for statement in schema_ddl():
                    conn.exec_driver_sql(statement)
                conn.exec_driver_sql(
                    "INSERT INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
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
            # tables added without a new schema version (older releases ignore them): created
            # here in a database made before them; a test keeps ADDED_TABLES equal to the models
            have = {r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type='table' AND name IN ('source', 'card_link')")}
            for name, ddl in ADDED_TABLES.items():
                if name not in have:
                    conn.exec_driver_sql(ddl)
            while version < SCHEMA_VERSION:
                step = MIGRATIONS.get(version)
                if step is None:
                    raise StoreError(f"no upgrade path from schema version {version}")
                step(conn)
                version += 1
            if version != found:
                conn.exec_driver_sql("UPDATE meta SET value=? WHERE key='schema_version'", (str(version),))
            return found
    except DatabaseError as exc:
        raise StoreError(explain(exc)) from None


def schema_ddl() -> list[str]:
    """The CREATE TABLE and CREATE INDEX statements for the SQLModel tables, in dependency
    order, as SQLAlchemy's SQLite dialect writes them (what ``metadata.create_all`` runs).
    Only a new database needs them, so this is the one place that imports SQLAlchemy."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from studyllm.store import models

    # SQLModel's metaclass sets __table__ on each table class at run time; it isn't declared.
    tables = {t.name: t for t in (
        models.Meta.__table__,  # type: ignore[attr-defined]
        models.Setting.__table__,  # type: ignore[attr-defined]
        models.Deck.__table__,  # type: ignore[attr-defined]
        models.Card.__table__,  # type: ignore[attr-defined]
        models.CardState.__table__,  # type: ignore[attr-defined]
        models.ReviewLog.__table__,  # type: ignore[attr-defined]
        models.Source.__table__,  # type: ignore[attr-defined]
        models.CardLink.__table__,  # type: ignore[attr-defined]
    )}
    dialect = sqlite.dialect()
    out = []
    for table in models.SQLModel.metadata.sorted_tables:
        if table.name not in tables:
            continue
        out.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        for index in sorted(table.indexes, key=lambda ix: ix.name or ""):
            out.append(str(CreateIndex(index).compile(dialect=dialect)).strip())
    return out


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
