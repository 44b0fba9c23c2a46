"""Opening the SQLite database: connections, pragmas, schema creation, upgrades, clear errors.

The schema is declared with SQLModel (:mod:`studyllm.store.models`) and written out as the
checked-in ``schema.sql`` (:mod:`studyllm.store.schema`), which a new database runs with plain
``sqlite3``; upgrades are the numbered steps of :mod:`studyllm.store.migrations`. Day-to-day
work (the TUI's start, the study loop, imports) talks to SQLite through :class:`Database`, a
small pool of ``sqlite3`` connections with the pragmas below, so neither opening nor creating
a database pays the quarter of a second that importing SQLAlchemy costs. The paths nobody
times reach the same file through SQLModel sessions (:mod:`studyllm.store.orm`)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studyllm.store import constants

if TYPE_CHECKING:
    from studyllm.store.migrations import Executes

SCHEMA_VERSION = constants.SCHEMA_VERSION  # module attribute so tests can simulate a newer release

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
POOL_SIZE = 5  # idle connections kept for reuse (threads each check one out)

DatabaseError = sqlite3.DatabaseError  # what SQLite raises on damage, locks, full disks...


class StoreError(Exception):
    """A problem with the database a user can act on (message is shown as is)."""


class Connection:
    """One connection checked out of a :class:`Database`.

    :meth:`execute` and :meth:`executemany` (named and behaving as ``sqlite3``'s, returning
    its cursor) start a deferred transaction before their first statement, so the
    statements of one ``with db.connect()`` block read one snapshot; the block ends with a
    rollback unless :meth:`begin` committed. ``raw`` is the ``sqlite3`` connection itself,
    for hot paths that run single statements in autocommit."""

    __slots__ = ("raw", "info", "_db")

    def __init__(self, raw: sqlite3.Connection, db: Database | None):
        """``db`` is the pool the connection goes back to; ``None`` for one another owner
        (a SQLModel session, see :func:`studyllm.store.orm.raw_connection`) closes."""
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

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        """Run one statement with ``?`` (sequence) or ``:name`` (mapping) parameters."""
        raw = self.raw
        if not raw.in_transaction:
            raw.execute("BEGIN")
        return raw.execute(sql, params)

    def executemany(self, sql: str, params: Iterable[Sequence[Any] | Mapping[str, Any]]) -> sqlite3.Cursor:
        """Run one statement once per parameter set."""
        raw = self.raw
        if not raw.in_transaction:
            raw.execute("BEGIN")
        return raw.executemany(sql, params)

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
        self.orm_engine: Any = None  # the SQLAlchemy engine of studyllm.store.orm, made on first use

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
            engine, self.orm_engine = self.orm_engine, None
        for raw in idle:
            raw.close()
        if engine is not None:
            engine.dispose()


# Upgrades from version N to N+1 are the steps of studyllm/store/migrations.py, imported only
# when a database is older than SCHEMA_VERSION (not on every start: issue #14). Steps put in
# this dict come first: tests register the step of a simulated newer release here.
MIGRATIONS: dict[int, Callable[[Executes], None]] = {}


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
    before = conn.execute("PRAGMA cache_size").fetchone()[0]
    current_kib = -before if before < 0 else before * 4  # a positive size counts pages (4 KiB here)
    want_kib = min(BULK_CACHE_MAX_KIB, 2048 + int(cards * BULK_CACHE_KIB_PER_CARD))
    if want_kib <= current_kib:
        return
    conn.info.setdefault("cache_size_before", before)
    conn.execute(f"PRAGMA cache_size = {-want_kib}")




def schema_version(conn: Connection) -> int | None:
    """The database's schema version: ``PRAGMA user_version``, or for a database of schema 1
    (which kept it in the ``meta`` table) that row; ``None`` for a database without one.
    A version that isn't a positive whole number is a :class:`StoreError`."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version < 0:
        raise StoreError(f"the database's schema version (PRAGMA user_version) is {version}, not a studyllm version")
    if version > 0:
        return int(version)
    has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    if not has_meta:
        return None
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (constants.LEGACY_KEY,)).fetchone()
    if row is None:
        return None
    text = str(row[0]).strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 9) or int(text) < 1:
        raise StoreError(
            f"the database's schema version (meta.{constants.LEGACY_KEY}) is {shown_value(row[0])}, not a schema "
            "version number; the file was left untouched (restore a backup with studyllm backup --restore)"
        )
    return int(text)


def shown_value(value: object, limit: int = 40) -> str:
    """A stored value for an error message: repr, shortened (no control characters reach the terminal)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _set_version(conn: Connection, version: int) -> None:
    conn.execute(f"PRAGMA user_version = {int(version)}")
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (constants.LEGACY_KEY, str(version)),
    )


def init_schema(db: Database) -> int:
    """Create the schema on an empty database (``schema.sql``, plain ``sqlite3``) or upgrade an
    older one through the numbered steps, in one write transaction. Returns the version found
    (0 for a new database)."""
    try:
        with write_tx(db) as conn:
            found = schema_version(conn)
            if found is None:
                has_tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
                if has_tables:
                    raise StoreError(
                        "the database has tables but no studyllm schema version: it is not a studyllm database "
                        "(it was left untouched)"
                    )
                for statement in schema_statements():
                    conn.execute(statement)
                _set_version(conn, SCHEMA_VERSION)
                return 0
            if found > SCHEMA_VERSION:
                raise StoreError(
                    f"the database has schema version {found}, newer than this studyllm "
                    f"understands ({SCHEMA_VERSION}); upgrade studyllm"
                )
            version = found
            steps: dict[int, Callable[[Executes], None]] = {}
            if version < SCHEMA_VERSION:
                from studyllm.store.migrations import STEPS

                steps = {**STEPS, **MIGRATIONS}
            while version < SCHEMA_VERSION:
                step = steps.get(version)
                if step is None:
                    raise StoreError(f"no upgrade path from schema version {version}")
                step(conn)
                version += 1
            if conn.execute("PRAGMA user_version").fetchone()[0] != version:
                _set_version(conn, version)
            return found
    except DatabaseError as exc:
        raise StoreError(explain(exc)) from None


def schema_statements() -> list[str]:
    """What a new database runs: the statements of the checked-in ``schema.sql``, generated
    from the SQLModel models (:mod:`studyllm.store.schema`; no SQLAlchemy import here)."""
    from studyllm.store.schema import statements

    return statements()


_DAMAGE_CODES = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def error_kind(exc: BaseException) -> str:
    """What an SQLite error means for the user: ``"full"`` (no space left), ``"readonly"``
    (the file or folder can't be written: permissions, a read-only disk), ``"io"`` (the disk
    reported an error), ``"locked"``, ``"damaged"`` (the file's content is broken) or
    ``"other"``. Read from the extended result code where Python gives it, else the message."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    msg = str(getattr(exc, "orig", exc)).lower()
    if name.startswith("SQLITE_FULL") or "disk is full" in msg or "no space left" in msg:
        return "full"
    if name.startswith(_DAMAGE_CODES) or "not a database" in msg or "malformed" in msg:
        return "damaged"
    if (name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH"))
            or "readonly" in msg or "unable to open" in msg or "permission denied" in msg):
        return "readonly"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in msg:
        return "locked"
    if name.startswith(("SQLITE_IOERR", "SQLITE_NOMEM", "SQLITE_NOLFS")) or "disk i/o error" in msg:
        return "io"
    return "other"


def explain(exc: Exception) -> str:
    """A user-facing sentence for an SQLite error, telling "can't write here" apart from
    "the file is damaged" (only the second is a reason to restore a backup)."""
    msg = str(getattr(exc, "orig", exc))
    kind = error_kind(exc)
    if kind == "damaged":
        return "the database file is damaged or not a database (" + msg + "); it was left untouched"
    if kind == "full":
        return ("can't write: the disk is full (" + msg + "); nothing already saved was lost. "
                "Free some space and try again")
    if kind == "readonly":
        return ("can't write here (" + msg + "): the data folder or the database file is read-only or "
                "belongs to another user; the file itself is not damaged. Check its permissions, or point "
                "--home / STUDYLLM_HOME at another folder")
    if kind == "io":
        return ("the disk reported a read/write error (" + msg + "); nothing already saved was lost. "
                "Check the disk and try again")
    if kind == "locked":
        return "the database stayed locked by another studyllm process for too long (" + msg + ")"
    return msg


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# A first import of at least this many cards into an empty card table builds the tables' indexes
# after the rows are in (defer_indexes), which costs less than keeping them up to date row by row.
BULK_INDEX_AFTER = 5000


def defer_indexes(conn: Connection, tables: tuple[str, ...], names: tuple[str, ...] | None = None) -> list[str]:
    """Inside :func:`write_tx`: drop the indexes of ``tables`` that a ``CREATE INDEX`` made (not
    a ``CREATE UNIQUE INDEX``, nor those of a UNIQUE or PRIMARY KEY constraint: uniqueness is still
    checked row by row), only those called ``names`` when given, and give their SQL, for
    :func:`restore_indexes` to make them again in the same transaction. A rollback (any error
    before the commit) brings them back as they were: SQLite's schema changes are transactional."""
    marks = ",".join("?" * len(tables))
    only = f" AND name IN ({','.join('?' * len(names))})" if names is not None else ""
    rows = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})"
        f" AND upper(sql) NOT LIKE 'CREATE UNIQUE %'{only} ORDER BY name", (*tables, *(names or ()))).fetchall()
    for name, _sql in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in rows]


def restore_indexes(conn: Connection, sqls: list[str]) -> None:
    """Make the indexes :func:`defer_indexes` dropped again (their own SQL, as stored)."""
    for sql in sqls:
        conn.execute(sql)
    sqls.clear()
