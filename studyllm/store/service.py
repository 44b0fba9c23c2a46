"""The store's public face: one object the CLI and the TUI call. The UI never writes SQL.

Every answer is committed (synchronous=FULL, WAL) before :meth:`Store.answer` returns,
so the next card is only shown once the previous answer is on disk.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import warnings
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from studyllm.clock import Clock, SystemClock, study_day
from studyllm.schedule import (
    FsrsScheduler,
    FsrsState,
    Sm2Scheduler,
    apply_answer,
    due_after,
    from_settings,
    fuzz_seed,
    queue_for,
)
from studyllm.sm2 import Sm2State, validate_quality
from studyllm.store import constants as m
from studyllm.store import sql
from studyllm.store.db import (
    Connection,
    Database,
    StoreError,
    check_sqlite_file,
    dumps,
    init_schema,
    write_tx,
)
from studyllm.store.lock import DatabaseInUse, HomeLock
from studyllm.store.settings import SPECS, validate

__all__ = ["Store", "CardView", "DeckSummary", "AnswerResult", "QueueCounts", "StoreError", "CardChangedError",
           "Undone"]


class CardChangedError(StoreError):
    """The card was answered (or changed) elsewhere, e.g. in a second window, after it was shown."""



# The value records are NamedTuples (immutable, compared and printed by field), not dataclasses:
# importing dataclasses, with the inspect, ast and dis it loads, and building a dataclass cost
# the library's cold start ~8 ms and ~0.4-1 ms each; nothing else on that path needs them (#14).
class QueueCounts(NamedTuple):
    new: int = 0
    review: int = 0
    drill: int = 0

    @property
    def total(self) -> int:
        return self.new + self.review + self.drill


class DeckSummary(NamedTuple):
    id: int
    key: str
    title: str
    source_path: str
    total: int
    new: int  # new cards available today (after limits)
    review: int  # reviews due today (after limits)
    drill: int  # weak answers waiting to come back today
    learning: int  # cards still on the 1/6-day steps
    suspended: int
    leeches: int
    archived: bool = False


class CardView(NamedTuple):
    id: int
    uid: str
    deck_id: int
    deck_key: str
    deck_title: str
    kind: str
    variant: str
    front: str
    back: str
    extra: dict[str, Any]
    heading_path: tuple[str, ...]
    source_path: str
    line: int
    archived: bool
    queue: int
    repetitions: int
    easiness: float
    interval: int
    due_day: date | None
    reviews: int
    lapses: int
    suspended: bool
    leech: bool
    buried_until: date | None
    is_drill: bool = False  # shown again today after a weak answer
    fsrs_state: str | None = None  # FSRS mode: the card's FSRS state (JSON; see FsrsState)
    last_reviewed_at: str | None = None

    @property
    def fsrs(self) -> FsrsState | None:
        """The card's FSRS state, when FSRS schedules it."""
        return FsrsState.from_json(json.loads(self.fsrs_state)) if self.fsrs_state else None

    @property
    def state_name(self) -> str:
        if self.archived:
            return "archived"
        if self.suspended:
            return "suspended"
        if self.reviews == 0:
            return "new"
        if self.queue in (m.QUEUE_LEARNING, m.QUEUE_REVIEW):  # SM-2's first steps, or FSRS's learning phase
            return "learning" if self.queue == m.QUEUE_LEARNING else "review"
        return "learning" if self.repetitions < 2 else "review"

    @property
    def context(self) -> str:
        return " › ".join((self.deck_title, *self.heading_path))


class AnswerResult(NamedTuple):
    card_id: int
    grade: int
    kind: str  # "new", "review", "relearn" or "drill"
    before: Sm2State
    after: Sm2State
    due_day: date | None
    drill_again: bool  # the card comes back later today
    became_leech: bool
    log_uid: str
    back_minutes: int | None = None  # a same-day repeat: it may come back after this many minutes


class NextDue(NamedTuple):
    """What one grade would do to a card: the study day it is due again, or, for a weak
    answer that brings it back later today, the minutes before it may come back."""

    grade: int
    due_day: date
    minutes: int | None = None  # a same-day repeat: back after this many minutes


# the card's state and its uid (the log row and FSRS's fuzz seed name the card by it), one read
_SELECT_STATE_AND_UID = (
    f"SELECT {', '.join('s.' + c for c in sql.CARD_STATE_COLUMNS)}, c.uid"
    " FROM card_state s JOIN card c ON c.id = s.card_id WHERE s.card_id = ?"
)


def _sql(conn: Connection, sql: str, params: Any = ()) -> sqlite3.Cursor:
    """Run one statement on the connection's ``sqlite3`` connection as it stands: inside the
    transaction :func:`write_tx` began, else on its own (autocommit). The study loop runs
    ~15 statements per answer, so they skip even :meth:`Connection.execute`'s check."""
    return conn.raw.execute(sql, params)


class Undone(NamedTuple):
    """What :meth:`Store.undo` took back: the card and the action ("answer", "bury", "suspend")."""

    card_id: int
    action: str


def _totals(limits: _Limits, per_deck: dict[int, tuple[int, int, int]]) -> QueueCounts:
    """The day's totals from the capped per-deck counts, under the overall daily caps."""
    return QueueCounts(
        new=min(sum(n for n, _, _ in per_deck.values()), limits.new_left[-1]),
        review=min(sum(r for _, r, _ in per_deck.values()), limits.review_left[-1]),
        drill=sum(d for _, _, d in per_deck.values()),
    )


class _Limits:
    __slots__ = ("new_left", "review_left")

    def __init__(self) -> None:
        self.new_left: dict[int, int] = {}
        self.review_left: dict[int, int] = {}


def _deck_options(raw: str | None) -> dict[str, int]:
    """A deck's stored daily limits; a row that is not a JSON object of whole numbers (damaged,
    or nested too deeply to read) counts as no options, so the queue still opens."""
    try:
        opts = json.loads(raw or "{}")
    except (ValueError, RecursionError):
        return {}
    if not isinstance(opts, dict):
        return {}
    return {k: v for k, v in opts.items()
            if k in ("new_per_day", "reviews_per_day") and isinstance(v, int) and not isinstance(v, bool) and v >= 0}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _day(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def _shared_lock(home: Path, path: Path) -> HomeLock:
    """The shared advisory lock every open store holds (see :mod:`studyllm.store.lock`)."""
    from studyllm.store.db import BUSY_TIMEOUT_MS

    lock = HomeLock(path)
    try:
        return lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000)
    except DatabaseInUse:
        raise StoreError(f"{home}: a backup is being restored into this folder; try again in a moment") from None
    except OSError as exc:
        raise StoreError(f"{home}: can't write here: cannot create {lock.path.name} ({exc.strerror or exc})") from None


class Store:
    """Progress database. Build with :meth:`open` (a home folder) or :meth:`memory` (tests)."""

    def __init__(self, database: Database, *, path: Path | None, clock: Clock | None = None):
        self.database = database
        self.path = path
        self.clock: Clock = clock or SystemClock()
        self.warnings: list[str] = []
        self._settings_cache: dict[str, Any] | None = None
        self._temp_dir: Path | None = None
        self._home_lock: HomeLock | None = None
        # this session's undoable actions, newest last: ("answer", log uid, None),
        # ("bury", card id, buried_until before) or ("suspend", card id, suspended before)
        self._undo_stack: list[tuple[str, Any, Any]] = []
        # ((day, answers that day, last log id), {(deck_id, kind): answers}); see _done_today
        self._done_cache: tuple[tuple[str, int, int | None], dict[tuple[int, str], int]] | None = None
        self._sync_dev: str | None | bool = False  # False: not read yet; None: sync is off (docs/sync.md)
        self._sched: tuple[tuple[Any, ...], Sm2Scheduler | FsrsScheduler] | None = None
        self._sched_for: dict[str, Any] | None = None  # the settings dict self._sched was checked against
        # What the queue reads on every next_card and only a write changes: the non-archived
        # decks' ids and daily limits and today's custom-study extras ((day, per deck)). They, and
        # the answers-today cache above, are known current while _witness holds: see _unchanged.
        self._deck_rows: list[tuple[int, dict[str, int]]] | None = None
        self._extra_cache: tuple[str, dict[int, int]] | None = None
        self._witness: tuple[sqlite3.Connection, int, int] | None = None
        self._cache_lock = threading.Lock()  # the caches above are shared by the UI's worker threads

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, home: Path, *, clock: Clock | None = None) -> Store:
        from studyllm.paths import db_path

        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{home}: can't write here: cannot create the data folder "
                             f"({exc.strerror or exc})") from None
        if not os.access(home, os.W_OK | os.X_OK):
            raise StoreError(f"{home}: can't write here: the data folder is not writable (read-only, or owned by "
                             "another user); nothing was changed and the database is not damaged. Fix its "
                             "permissions, or point --home / STUDYLLM_HOME at another folder")
        path = db_path(home)
        lock = _shared_lock(home, path)  # held until close(): a restore refuses while it is
        try:
            check_sqlite_file(path)
            database = Database(path)
            store = cls(database, path=path, clock=clock)
            init_schema(database)
        except BaseException:
            lock.release()
            raise
        store._home_lock = lock
        return store

    @classmethod
    def memory(cls, *, clock: Clock | None = None) -> Store:
        """A throw-away store for tests and benchmarks: a real database file (same pragmas,
        safe with thread workers) in a temporary folder that :meth:`close` removes."""
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="studyllm-mem-"))
        store = cls.open(folder, clock=clock)
        store._temp_dir = folder
        return store

    @property
    def is_temporary(self) -> bool:
        """True for a :meth:`memory` store (nothing worth backing up)."""
        return self._temp_dir is not None

    def close(self) -> None:
        self.database.dispose()
        if self._home_lock is not None:
            self._home_lock.release()
            self._home_lock = None
        if self._temp_dir is not None:
            import shutil

            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ settings
    def reload_settings(self) -> None:
        """Forget the cached settings, so the next read sees what another process (the CLI's
        ``studyllm settings``, a sync) committed since. The faces call it where a learner expects
        a fresh start: home's refresh and return, and the start of a study session (a scheduler
        switched from the CLI while the app was open was otherwise answered with the old one)."""
        self._settings_cache = None

    def settings(self) -> dict[str, Any]:
        """All settings with defaults filled in. A stored bad value falls back to the default
        and adds a warning naming the key."""
        if self._settings_cache is None:
            values = {key: spec.default for key, spec in SPECS.items()}
            with self.database.connect() as conn:
                rows = _sql(conn, "SELECT key, value FROM setting").fetchall()
            for key, raw in rows:
                if key not in SPECS:
                    continue
                try:
                    values[key] = validate(key, json.loads(raw))
                except (ValueError, TypeError, RecursionError) as exc:
                    # RecursionError: a row of deeply nested JSON (json.loads, or the message's repr)
                    why = "nested too deeply" if isinstance(exc, RecursionError) else exc
                    msg = f"ignoring bad setting {key!r} ({why}); using the default {SPECS[key].default!r}"
                    self.warnings.append(msg)
                    warnings.warn(msg, stacklevel=2)
            self._settings_cache = values
        return dict(self._settings_cache)

    def setting(self, key: str) -> Any:
        if key not in SPECS:
            raise KeyError(key)
        cache = self._settings_cache
        if cache is None:  # read (and checked) once; the study loop reads several settings per answer
            self.settings()
            cache = self._settings_cache
            assert cache is not None
        return cache[key]

    def set_setting(self, key: str, value: Any) -> int | None:
        """Save one setting. Changing ``scheduler`` reschedules every card in the same
        transaction (:func:`studyllm.store.replay.switch_scheduler`) and returns how many
        cards changed; other settings return ``None``."""
        value = validate(key, value)
        switching = key == "scheduler" and value != self.setting("scheduler")
        changed: int | None = None
        with write_tx(self.database) as conn:
            _sql(
                conn,
                "INSERT INTO setting(key, value) VALUES (:k, :v) ON CONFLICT(key) DO UPDATE SET value=:v",
                {"k": key, "v": dumps(value)},
            )
            if switching:
                self._settings_cache = None
                sched = from_settings({**self.settings(), key: value})
                from studyllm.store import replay  # only here and in rebuild_states: not on every start

                changed = replay.switch_scheduler(conn, sched, leech_at=self.setting("leech_lapses"))
            from studyllm.store import sync_events  # not at the top: the cold start does not need it (#14)

            dev = self._sync_device(conn) if key in sync_events.SYNCED_SETTINGS else None
            if dev is not None:  # a setting that follows the learner (docs/sync.md)
                sync_events.emit(conn.raw, dev, self.utc_now_iso(), {"t": "setting", "key": key, "value": value},
                                 stamp="setting:" + key, value=dumps(value))
        self._settings_cache = None
        return changed

    def scheduler(self) -> Sm2Scheduler | FsrsScheduler:
        """The scheduler the settings name (built once per distinct settings)."""
        if self._sched is not None and self._sched_for is not None and self._sched_for is self._settings_cache:
            return self._sched[1]  # the settings were not read again since: the same scheduler
        s = self.settings()
        self._sched_for = self._settings_cache
        key = tuple(s[k] if not isinstance(s[k], list) else tuple(s[k]) for k in
                    ("scheduler", "desired_retention", "maximum_interval", "fsrs_learning_steps",
                     "fsrs_relearning_steps", "fsrs_fuzz"))
        if self._sched is None or self._sched[0] != key:
            self._sched = (key, from_settings(s))
        return self._sched[1]

    def _sync_device(self, conn: Connection) -> str | None:
        """This home's sync device id (``None``: sync off), read once per store."""
        if self._sync_dev is False:
            from studyllm.store import sync_events  # once per store, at its first write (#14)

            self._sync_dev = sync_events.device_id(conn.raw)
        return self._sync_dev if isinstance(self._sync_dev, str) else None

    # ------------------------------------------------------------------ time
    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return study_day(self.clock.now(), self.clock.zone(), self.setting("rollover_hour"))


    # ------------------------------------------------------------------ queue
    def _witness_of(self, raw: sqlite3.Connection) -> tuple[sqlite3.Connection, int, int]:
        """What tells, on this connection, whether the database changed: SQLite's
        ``data_version`` (it moves when *another* connection, of this process or another one,
        commits) and the connection's own count of rows it changed (``total_changes``)."""
        return raw, raw.execute("PRAGMA data_version").fetchone()[0], raw.total_changes

    def _unchanged(self, witness: tuple[sqlite3.Connection, int, int]) -> bool:
        """True when nothing was written to the database since ``self._witness`` was taken on
        the same connection: the caches it guards (deck rows, today's extras, today's answer
        counts) still hold. Any other connection's commit, or any write of this connection but
        an answer (which updates the caches itself), makes it False and they are read again."""
        w = self._witness
        return w is not None and w[0] is witness[0] and w[1] == witness[1] and w[2] == witness[2]

    def _limits(self, conn: Connection, today: str, deck_id: int | None) -> _Limits:
        s = self._settings_cache if self._settings_cache is not None else self.settings()
        with self._cache_lock:
            witness = self._witness_of(conn.raw)  # taken first: a commit after it shows next time
            quiet = self._unchanged(witness)
            if not quiet or self._deck_rows is None:
                self._deck_rows = [(did, _deck_options(raw)) for did, raw in
                                   _sql(conn, "SELECT id, options FROM deck WHERE archived = 0")]
            decks = self._deck_rows if not deck_id else [r for r in self._deck_rows if r[0] == deck_id]
            done = self._done_today(conn, today, quiet=quiet)
            if not quiet or self._extra_cache is None or self._extra_cache[0] != today:
                self._extra_cache = (today, self._extra_new(conn, today))  # custom study's "more new cards today"
            extra = self._extra_cache[1]
            self._witness = witness
        total_new = sum(n for (_, k), n in done.items() if k == "new")
        total_rev = sum(n for (_, k), n in done.items() if k in ("review", "relearn"))
        limits = _Limits()
        global_new = max(0, s["new_per_day"] + sum(extra.values()) - total_new)
        global_rev = max(0, s["reviews_per_day"] - total_rev)
        for did, opts in decks:
            new_cap = opts.get("new_per_day", s["new_per_day"]) + extra.get(did, 0)
            rev_cap = opts.get("reviews_per_day", s["reviews_per_day"])
            limits.new_left[did] = max(0, min(global_new, new_cap - done.get((did, "new"), 0)))
            rev_done = done.get((did, "review"), 0) + done.get((did, "relearn"), 0)
            limits.review_left[did] = max(0, min(global_rev, rev_cap - rev_done))
        limits.new_left[-1] = global_new  # overall caps
        limits.review_left[-1] = global_rev
        return limits

    def _extra_new(self, conn: Connection, today: str) -> dict[int, int]:
        """Today's extra new cards per deck (custom study's "more new cards today"; an older
        day's are ignored), from the ``meta`` table."""
        row = _sql(conn, "SELECT value FROM meta WHERE key = 'extra_new_today'").fetchone()
        if row is None:
            return {}
        try:
            value = json.loads(row[0])
            if value.get("day") != today:
                return {}
            return {int(d): int(n) for d, n in value.get("decks", {}).items()}
        except (ValueError, TypeError, AttributeError):  # a value this version can't read: no extra
            return {}

    def add_new_today(self, per_deck: dict[int, int]) -> None:
        """Raise today's new-card limits by ``per_deck`` (deck id → cards), for today only: the
        cards of a "more new cards today" session don't use up the day's own limit."""
        today = self.today().isoformat()
        with write_tx(self.database) as conn:
            extra = self._extra_new(conn, today)
            for did, n in per_deck.items():
                extra[did] = extra.get(did, 0) + n
            _sql(conn, "INSERT INTO meta (key, value) VALUES ('extra_new_today', ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (json.dumps({"day": today, "decks": {str(d): n for d, n in extra.items()}}),))

    def _done_today(self, conn: Connection, today: str, *, quiet: bool = False) -> dict[tuple[int, str], int]:
        """Answers given today per (deck, kind). Aggregating the day's log on every
        ``next_card`` grows with the day's answers, so the result is cached. ``quiet`` (see
        :meth:`_unchanged`: nothing was written since the cache was last checked, but this
        store's own answers, which count themselves in) keeps it as it is. Else it is checked
        with a count over the covering day index (which also grows with the day's answers:
        ~0.1 ms after 1,500): another window's answer, an undo or a merge changes (count,
        last id) and the cache is rebuilt."""
        cached = self._done_cache
        if quiet and cached is not None and cached[0][0] == today:
            return cached[1]
        n, last = _sql(conn, 
            "SELECT count(*), max(id) FROM review_log WHERE day = ?", (today,)
        ).fetchone()
        if cached is not None and cached[0] == (today, n, last):
            return cached[1]
        done = {
            (d, k): c
            for d, k, c in _sql(conn, 
                "SELECT c.deck_id, l.kind, count(*) FROM review_log l JOIN card c ON c.id = l.card_id "
                "WHERE l.day = ? GROUP BY c.deck_id, l.kind",
                (today,),
            )
        }
        self._done_cache = ((today, n, last), done)
        return done

    def counts(self, deck_id: int | None = None) -> QueueCounts:
        """What is left to study today (after the daily limits)."""
        today = self.today().isoformat()
        with self.database.connect() as conn:
            return self._counts(conn, today, deck_id)

    def _counts(self, conn: Connection, today: str, deck_id: int | None) -> QueueCounts:
        limits = self._limits(conn, today, deck_id)
        return _totals(limits, self._capped_counts(conn, today, limits))

    def decks_and_counts(self) -> tuple[list[DeckSummary], QueueCounts]:
        """:meth:`decks` and :meth:`counts` together, as home shows them: one reading of the
        limits and one pass of the capped per-deck counts (each of the two computes them
        again; ~12 ms at 100,000 cards when a deck may take 10,000 new cards a day)."""
        today = self.today().isoformat()
        with self.database.connect() as conn:
            limits = self._limits(conn, today, None)
            capped = self._capped_counts(conn, today, limits)
            return self._deck_summaries(conn, capped, include_archived=False), _totals(limits, capped)

    def _capped_counts(self, conn: Connection, today: str, limits: _Limits) -> dict[int, tuple[int, int, int]]:
        """Per deck: new and due cards available today, each counted only up to that deck's
        remaining limit (so the cost is bounded by the limits, not by the deck size), and the
        drills waiting today. Every query runs on an index."""
        not_buried = " AND (buried_until IS NULL OR buried_until <= ?2)"
        drills = dict(
            _sql(conn, 
                "SELECT deck_id, count(*) FROM card_state WHERE drill_day = ?1 AND queue >= 0"
                + not_buried.replace("?2", "?1") + " GROUP BY deck_id",
                (today,),
            ).fetchall()
        )
        out: dict[int, tuple[int, int, int]] = {}
        for did, new_cap in limits.new_left.items():
            if did < 0:
                continue
            rev_cap = limits.review_left.get(did, 0)
            n_new = _sql(conn, 
                "SELECT count(*) FROM (SELECT 1 FROM card_state WHERE deck_id = ?1 AND queue = 0"
                + not_buried + " LIMIT ?3)",
                (did, today, new_cap),
            ).fetchone()[0] if new_cap > 0 else 0
            n_rev = _sql(conn, 
                "SELECT count(*) FROM (SELECT 1 FROM card_state WHERE deck_id = ?1 AND queue IN (1, 2)"
                " AND due_day <= ?2 AND (drill_day IS NULL OR drill_day <> ?2)" + not_buried + " LIMIT ?3)",
                (did, today, rev_cap),
            ).fetchone()[0] if rev_cap > 0 else 0
            out[did] = (n_new, n_rev, drills.get(did, 0))
        return out

    def next_card(self, deck_id: int | None = None, *, exclude: int | None = None) -> CardView | None:
        """The next card to show: drills whose delay has passed, then due reviews (most overdue
        first), then new cards in deck order, then any remaining drills. ``exclude`` leaves
        one card out: the study screen asks what comes after the card on screen, to have it
        drawn before the learner answers."""
        today = self.today().isoformat()
        now = self.clock.now()
        delay = timedelta(minutes=self.setting("drill_delay_minutes"))
        with self.database.connect() as conn:
            deck_sql = " AND deck_id = :deck" if deck_id else ""
            if exclude is not None:
                deck_sql += " AND card_id <> :exclude"
            params: dict[str, Any] = {"today": today, "deck": deck_id, "exclude": exclude}
            not_buried = " AND (buried_until IS NULL OR buried_until <= :today)"
            fsrs_mode = self.setting("scheduler") == "fsrs"
            drill_sql = (
                # the day's drills walked in answer order on their index: the first match is the answer
                "SELECT card_id, last_reviewed_at"
                # FSRS: whether the card has an FSRS state and its due instant, read by SQLite's JSON
                # functions (decoding up to 200 states in Python took ~3 ms per next_card)
                + (", fsrs_state IS NOT NULL, json_extract(fsrs_state, '$.due')" if fsrs_mode else "")
                + " FROM card_state INDEXED BY ix_state_drill WHERE queue >= 0 AND drill_day = :today"
                + not_buried + deck_sql + " ORDER BY last_reviewed_at, card_id LIMIT " + ("200" if fsrs_mode else "1")
            )
            if fsrs_mode:
                # FSRS's steps differ (1m, 10m...): the same-day repetition due first, by its due instant
                def due_of(r: tuple[Any, ...]) -> datetime:
                    if r[2]:  # FsrsState.due: none means due now
                        return datetime.fromisoformat(r[3]) if r[3] else now
                    return datetime.fromisoformat(r[1]) + delay if r[1] else now

                drills = [(due_of(r), r) for r in _sql(conn, drill_sql, params).fetchall()]
                first = min(drills, key=lambda d: d[0], default=None)
                drill = first[1] if first else None
                if first is not None and first[0] <= now:
                    return self._view(conn, first[1][0], is_drill=True, today=today)
            else:
                drill = _sql(conn, drill_sql, params).fetchone()
                if drill and drill[1] and datetime.fromisoformat(drill[1]) + delay <= now:
                    return self._view(conn, drill[0], is_drill=True, today=today)
            limits = self._limits(conn, today, deck_id)
            rev_decks = [d for d, n in limits.review_left.items() if d >= 0 and n > 0]
            if rev_decks and limits.review_left[-1] > 0:
                row = _sql(
                    conn,
                    # the partial index walks due reviews in order: the first match is the answer
                    "SELECT card_id FROM card_state INDEXED BY ix_state_due_reviews"
                    " WHERE queue IN (1, 2) AND due_day <= :today"
                    " AND (drill_day IS NULL OR drill_day <> :today)" + not_buried + deck_sql
                    + f" AND deck_id IN ({','.join(map(str, rev_decks))})"
                    " ORDER BY due_day, position LIMIT 1",
                    params,
                ).fetchone()
                if row:
                    return self._view(conn, row[0], today=today)
            new_decks = [d for d, n in limits.new_left.items() if d >= 0 and n > 0]
            if new_decks and limits.new_left[-1] > 0:
                row = _sql(
                    conn,
                    "SELECT card_id FROM card_state WHERE queue = 0" + not_buried + deck_sql
                    + f" AND deck_id IN ({','.join(map(str, new_decks))})"
                    " ORDER BY position LIMIT 1",
                    params,
                ).fetchone()
                if row:
                    return self._view(conn, row[0], today=today)
            if drill:
                return self._view(conn, drill[0], is_drill=True, today=today)
        return None

    # ------------------------------------------------------------------ reading cards
    def card(self, card_id: int) -> CardView:
        with self.database.connect() as conn:
            return self._view(conn, card_id)

    def _view(self, conn: Connection, card_id: int, *, is_drill: bool = False, today: str | None = None) -> CardView:
        row = _sql(conn, 
            "SELECT c.id, c.uid, c.deck_id, d.key, d.title, c.kind, c.variant, c.front, c.back, c.extra,"
            " c.heading_path, d.source_path, c.line, c.archived, s.queue, s.repetitions, s.ef_centi,"
            " s.interval, s.due_day, s.reviews, s.lapses, s.suspended, s.leech, s.buried_until, s.drill_day,"
            " s.fsrs_state, s.last_reviewed_at"
            " FROM card c JOIN deck d ON d.id = c.deck_id JOIN card_state s ON s.card_id = c.id"
            " WHERE c.id = ?",
            (card_id,),
        ).fetchone()
        if row is None:
            raise KeyError(f"no card with id {card_id}")
        if today is None:
            today = self.today().isoformat()
        return CardView(
            id=row[0], uid=row[1], deck_id=row[2], deck_key=row[3], deck_title=row[4], kind=row[5],
            variant=row[6], front=row[7], back=row[8], extra=json.loads(row[9] or "{}"),
            heading_path=tuple(json.loads(row[10] or "[]")), source_path=row[11], line=row[12],
            archived=bool(row[13]), queue=row[14], repetitions=row[15], easiness=row[16] / 100,
            interval=row[17], due_day=_day(row[18]), reviews=row[19], lapses=row[20],
            suspended=bool(row[21]), leech=bool(row[22]), buried_until=_day(row[23]),
            is_drill=is_drill or (row[24] == today and row[19] > 0),
            fsrs_state=row[25], last_reviewed_at=row[26],
        )

    def history(self, card_id: int) -> list[dict[str, Any]]:
        with self.database.connect() as conn:
            rows = _sql(conn, 
                "SELECT reviewed_at, day, grade, duration_ms, kind, ef_before, ef_after, interval_after, due_after"
                " FROM review_log WHERE card_id = ? ORDER BY reviewed_at, uid",
                (card_id,),
            ).fetchall()
        keys = ("reviewed_at", "day", "grade", "duration_ms", "kind", "ef_before", "ef_after", "interval_after",
                "due_after")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # ------------------------------------------------------------------ answering
    def _state_row(self, conn: Connection, card_id: int) -> dict[str, Any]:
        row = _sql(conn, sql.SELECT_STATE, (card_id,)).fetchone()
        if row is None:
            raise KeyError(f"no card with id {card_id}")
        return sql.state_dict(row)

    def _write_state(self, conn: Connection, state: dict[str, Any]) -> None:
        _sql(conn, sql.UPDATE_STATE, sql.state_update_params(state))

    def answer(self, card_id: int, grade: int, duration_ms: int = 0, *, shown: CardView | None = None) -> AnswerResult:
        """Record one answer and commit it durably before returning.

        Pass the ``shown`` card view to guard against answering twice: if the card's review
        count changed since it was shown (another studyllm window answered it), the answer
        is refused with :class:`CardChangedError` and nothing is written."""
        grade = validate_quality(grade)
        now = self.clock.now()
        today = self.today()
        leech_at = self.setting("leech_lapses")
        with write_tx(self.database) as conn:
            witness = self._witness_of(conn.raw)  # in the write transaction: nobody else commits now
            quiet = self._unchanged(witness)
            row = _sql(conn, _SELECT_STATE_AND_UID, (card_id,)).fetchone()
            if row is None:
                raise KeyError(f"no card with id {card_id}")
            st, card_uid = sql.state_dict(row[:-1]), row[-1]
            if shown is not None and (shown.id != card_id or st["reviews"] != shown.reviews):
                raise CardChangedError("this card was answered in another studyllm window since it was shown")
            if st["queue"] == m.QUEUE_ARCHIVED:
                raise StoreError("this card was removed from its deck file and can't be answered")
            now = self._after_last_answer(conn, st["last_reviewed_at"], now)
            before_row = dict(st)
            sched = self.scheduler()
            seed = fuzz_seed(card_uid, st["reviews"]) if isinstance(sched, FsrsScheduler) else None
            applied = apply_answer(st, grade, today.isoformat(), now.isoformat(), leech_at=leech_at, sched=sched,
                                   seed=seed)
            st, kind, before, after = applied.state, applied.kind, applied.before, applied.after
            became_leech = applied.became_leech
            self._write_state(conn, st)
            import uuid  # here: uuid (with platform) is ~2 ms the cold start to the first card does not use (#14)

            uid = uuid.uuid4().hex
            duration = min(m.MAX_DURATION_MS, max(0, int(duration_ms)))  # what an export can carry back
            log_id = _sql(
                conn,
                sql.INSERT_REVIEW_LOG,
                (
                    uid, card_id, card_uid, now.isoformat(), today.isoformat(), grade, duration, kind,
                    before.repetitions, before.easiness_centi, before.interval, before_row["due_day"],
                    after.repetitions, after.easiness_centi, after.interval, st["due_day"], dumps(before_row),
                    applied.fsrs_after,
                ),
            ).lastrowid
            dev = self._sync_device(conn)
            if dev is not None:
                from studyllm.store import sync_events  # loaded by _sync_device

                sync_events.emit(conn.raw, dev, now.isoformat(), {
                    "t": "answer", "uid": uid, "day": today.isoformat(), "grade": grade, "ms": duration,
                    **sync_events.card_ref(conn.raw, card_id)})
            cached = self._done_cache
            if cached is not None and cached[0][0] == today.isoformat():
                # count our own answer into today's cache; if another window also wrote, the
                # (count, last id) check in _done_today won't match and the cache is rebuilt
                (day, n, _last), done = cached
                key = (st["deck_id"], kind)
                self._done_cache = ((day, n + 1, log_id), {**done, key: done.get(key, 0) + 1})
            # the caches held before this answer and count it in now: they hold after it too, which
            # the witness says by counting this transaction's own rows (the commit adds none)
            witness_after = (conn.raw, witness[1], conn.raw.total_changes) if quiet else None
        with self._cache_lock:
            self._witness = witness_after
        self._undo_stack.append(("answer", uid, None))
        back: int | None = None
        if st["drill_day"] is not None:
            if applied.fsrs_after is not None:  # an FSRS learning step: its own delay
                due = FsrsState.from_json(json.loads(applied.fsrs_after)).due or now
                back = max(1, round((due - now).total_seconds() / 60))
            else:
                back = int(self.setting("drill_delay_minutes"))
        return AnswerResult(
            card_id=card_id, grade=grade, kind=kind, before=before, after=after, due_day=_day(st["due_day"]),
            drill_again=st["drill_day"] is not None, became_leech=became_leech, log_uid=uid, back_minutes=back,
        )

    def _after_last_answer(self, conn: Connection, last: str | None, now: datetime) -> datetime:
        """``now``, or one microsecond past the card's last answer when that is not before it
        (a merged answer from a device whose clock is ahead, or this clock set back): the
        answer is applied to the state the learner saw, so it must sort after it in every
        home's replay (docs/sync.md, clocks). Ties only matter with sync on."""
        if last is None:
            return now
        prev = datetime.fromisoformat(last)
        prev = prev if prev.tzinfo is not None else prev.replace(tzinfo=UTC)
        if prev > now or (prev == now and self._sync_device(conn) is not None):
            return prev + timedelta(microseconds=1)
        return now

    def preview_answer(self, card: CardView) -> dict[int, NextDue]:
        """What each grade 0-5 would do to the shown ``card``, computed through the
        scheduler's ``preview`` and the same-day drill rule of :func:`apply_answer`; nothing
        is read or written (the grade bar calls this on every reveal)."""
        today = self.today()
        sched = self.scheduler()
        if isinstance(sched, FsrsScheduler):
            return self._preview_fsrs(card, sched, today)
        delay = int(self.setting("drill_delay_minutes"))
        if card.is_drill and card.reviews > 0:  # a drill leaves SM-2 alone: 4 or 5 ends it
            due = card.due_day or today
            return {g: NextDue(g, today, delay) if g < 4 else NextDue(g, due) for g in range(6)}
        now = self.clock.now().astimezone(UTC)
        state = Sm2State(card.repetitions, card.easiness, card.interval)
        out: dict[int, NextDue] = {}
        for g, due_at in Sm2Scheduler().preview(state, now).items():
            if g < 4:  # a weak answer: the card comes back later today (a drill)
                out[g] = NextDue(g, today, delay)
            else:
                out[g] = NextDue(g, date.fromisoformat(due_after(today, (due_at - now).days)))
        return out

    def _preview_fsrs(self, card: CardView, sched: FsrsScheduler, today: date) -> dict[int, NextDue]:
        """FSRS's answer to each grade, with the fuzz seed the answer will use: a due instant
        within the day (a learning step) is shown in minutes, as :func:`apply_answer` makes it
        a same-day repetition."""
        from studyllm.schedule import fsrs_state_of

        now = self.clock.now().astimezone(UTC)
        state = fsrs_state_of({"fsrs_state": card.fsrs_state, "reviews": card.reviews,
                               "last_reviewed_at": card.last_reviewed_at, "ef_centi": round(card.easiness * 100),
                               "interval": card.interval}, sched)
        seed = fuzz_seed(card.uid, card.reviews)
        out: dict[int, NextDue] = {}
        for g, due_at in sched.preview(state, now, seed=seed).items():
            days = max(0, (due_at - now) // timedelta(days=1))
            if days == 0:
                out[g] = NextDue(g, today, max(1, round((due_at - now).total_seconds() / 60)))
            else:
                out[g] = NextDue(g, date.fromisoformat(due_after(today, days)))
        return out

    def recall_now(self, card: CardView) -> float | None:
        """FSRS's probability that the card is recalled now (``None``: not in FSRS mode, or
        never reviewed)."""
        sched = self.scheduler()
        if not isinstance(sched, FsrsScheduler) or card.fsrs_state is None:
            return None
        fs = card.fsrs
        assert fs is not None
        return sched.retrievability(fs, self.clock.now().astimezone(UTC))

    def undo(self) -> int | None:
        """:meth:`undo_action`, returning only the card id (``None``: nothing to undo)."""
        undone = self.undo_action()
        return None if undone is None else undone.card_id

    def undo_action(self) -> Undone | None:
        """Take back the most recent action done through this store (this session), whatever
        it was: an answer (its log row is removed and the card's state restored exactly), a
        bury or a suspend (the flag goes back to what it was). Answers merged in from another
        machine are never undone. ``None`` when there is nothing to undo."""
        while self._undo_stack:
            action, ref, before_flag = self._undo_stack.pop()
            if action == "answer":
                card_id = self._undo_answer(ref)
                if card_id is None:  # already gone (undone elsewhere): try the one before
                    continue
                return Undone(card_id, action)
            try:
                if action == "bury":
                    self._set_buried(ref, before_flag)
                else:
                    self._set_suspended(ref, bool(before_flag))
            except KeyError:  # the card is gone (removed from its deck and purged): the one before
                continue
            return Undone(ref, action)
        return None

    def _undo_answer(self, log_uid: str) -> int | None:
        with write_tx(self.database) as conn:
            row = _sql(conn,
                "SELECT id, card_id, state_before, reviewed_at FROM review_log WHERE uid = ?", (log_uid,)
            ).fetchone()
            if row is None:
                return None
            log_id, card_id, before, reviewed_at = row
            state = json.loads(before)
            state.setdefault("fsrs_state", None)  # a snapshot taken before schema 6
            state.setdefault("sm2_saved", None)
            current = self._state_row(conn, card_id)
            # the card may have moved deck or position since (re-import), and its bury and
            # suspend flags are their own actions, undone on their own
            for key in ("deck_id", "position", "buried_until", "suspended"):
                state[key] = current[key]
            archived = current["queue"] == m.QUEUE_ARCHIVED
            fsrs_mode = self.setting("scheduler") == "fsrs"
            # an answer given under the other scheduler (before a switch): its snapshot is that
            # scheduler's state, so the card is replayed from its log instead
            other_era = (state["sm2_saved"] is None and state["reviews"] > 0) if fsrs_mode else (
                state["sm2_saved"] is not None)
            state["queue"] = queue_for(reviews=state["reviews"], repetitions=state["repetitions"],
                                       suspended=bool(current["suspended"]), archived=archived,
                                       fsrs_state=state["fsrs_state"])
            self._write_state(conn, state)
            _sql(conn, "DELETE FROM review_log WHERE id = ?", (log_id,))
            dev = self._sync_device(conn)
            if dev is not None:
                _sql(conn, "INSERT OR IGNORE INTO sync_undone (uid) VALUES (?)", (log_uid,))
                from studyllm.store import sync_events  # loaded by _sync_device

                sync_events.emit(conn.raw, dev, self.utc_now_iso(), {"t": "undo", "uid": log_uid})
            later = _sql(conn,
                "SELECT 1 FROM review_log WHERE card_id = ? AND reviewed_at > ? LIMIT 1", (card_id, reviewed_at)
            ).fetchone()
        if later or other_era:  # answers merged in after this one: rebuild the card from its log
            self.rebuild_states([card_id])
        return int(card_id)

    def rebuild_states(self, card_ids: Iterable[int] | None = None) -> int:
        """Recompute card states (and the derived log fields) from the review log; every card
        when ``card_ids`` is ``None``. Returns the number of cards replayed."""
        from studyllm.store import replay

        return replay.rebuild(self.database, leech_at=self.setting("leech_lapses"), card_ids=card_ids,
                              sched=self.scheduler())

    def can_undo(self) -> bool:
        return bool(self._undo_stack)

    # ------------------------------------------------------------------ bury / suspend
    def bury(self, card_id: int) -> None:
        """Hide the card until tomorrow's study day (undoable with :meth:`undo`)."""
        before = self._set_buried(card_id, (self.today() + timedelta(days=1)).isoformat())
        self._undo_stack.append(("bury", card_id, before))

    def unbury(self, card_id: int) -> None:
        """Show a buried card again today (undoable with :meth:`undo`)."""
        before = self._set_buried(card_id, None)
        self._undo_stack.append(("bury", card_id, before))

    def _set_buried(self, card_id: int, until: str | None) -> str | None:
        """Set the card's bury (``None``: not buried) and, while sync is on, record it as a
        ``bury`` event (``until`` null for an unbury); returns the value before."""
        with write_tx(self.database) as conn:
            before: str | None = self._state_row(conn, card_id)["buried_until"]
            _sql(conn, "UPDATE card_state SET buried_until = ? WHERE card_id = ?", (until, card_id))
            dev = self._sync_device(conn)
            if dev is not None:
                from studyllm.store import sync_events  # loaded by _sync_device

                ref = sync_events.card_ref(conn.raw, card_id)
                sync_events.emit(conn.raw, dev, self.utc_now_iso(), {"t": "bury", "until": until, **ref},
                                 stamp="bury:" + ref["card"], value=until or "")
        return before

    def is_buried(self, card: CardView) -> bool:
        return card.buried_until is not None and card.buried_until > self.today()

    def set_suspended(self, card_id: int, suspended: bool = True) -> None:
        """Suspend or unsuspend a card (undoable with :meth:`undo`)."""
        before = self._set_suspended(card_id, suspended)
        self._undo_stack.append(("suspend", card_id, before))

    def _set_suspended(self, card_id: int, suspended: bool) -> bool:
        with write_tx(self.database) as conn:
            st = self._state_row(conn, card_id)
            before = bool(st["suspended"])
            archived = st["queue"] == m.QUEUE_ARCHIVED
            st["suspended"] = suspended
            st["queue"] = queue_for(
                reviews=st["reviews"], repetitions=st["repetitions"], suspended=suspended, archived=archived,
                fsrs_state=st["fsrs_state"],
            )
            self._write_state(conn, st)
            dev = self._sync_device(conn)
            if dev is not None:
                from studyllm.store import sync_events  # loaded by _sync_device

                ref = sync_events.card_ref(conn.raw, card_id)
                sync_events.emit(conn.raw, dev, self.utc_now_iso(), {"t": "suspend", "on": bool(suspended), **ref},
                                 stamp="suspend:" + ref["card"], value="1" if suspended else "0")
        return before

    def suspend(self, card_id: int) -> None:
        self.set_suspended(card_id, True)

    def unsuspend(self, card_id: int) -> None:
        self.set_suspended(card_id, False)

    # ------------------------------------------------------------------ decks
    def decks(self, *, include_archived: bool = False) -> list[DeckSummary]:
        today = self.today().isoformat()
        with self.database.connect() as conn:
            limits = self._limits(conn, today, None)
            return self._deck_summaries(conn, self._capped_counts(conn, today, limits),
                                        include_archived=include_archived)

    def _deck_summaries(self, conn: Connection, capped: dict[int, tuple[int, int, int]], *,
                        include_archived: bool) -> list[DeckSummary]:
        by_queue: dict[int, dict[int, int]] = defaultdict(dict)
        for did, queue, n in _sql(conn,
            "SELECT deck_id, queue, count(*) FROM card_state GROUP BY deck_id, queue"
        ):
            by_queue[did][queue] = n
        leeches = dict(
            _sql(conn,
                "SELECT deck_id, count(*) FROM card_state WHERE leech = 1 AND queue <> ? GROUP BY deck_id",
                (m.QUEUE_ARCHIVED,),
            ).fetchall()
        )
        rows = _sql(conn,
            "SELECT id, key, title, source_path, archived FROM deck"
            + ("" if include_archived else " WHERE archived = 0")
            + " ORDER BY position, id"
        ).fetchall()
        out = []
        for did, key, title, src, archived in rows:
            n_new, n_rev, n_drill = capped.get(did, (0, 0, 0))
            q = by_queue.get(did, {})
            out.append(
                DeckSummary(
                    id=did, key=key, title=title, source_path=src,
                    total=sum(n for queue, n in q.items() if queue != m.QUEUE_ARCHIVED),
                    new=n_new, review=n_rev, drill=n_drill, learning=q.get(m.QUEUE_LEARNING, 0),
                    suspended=q.get(m.QUEUE_SUSPENDED, 0), leeches=leeches.get(did, 0), archived=bool(archived),
                )
            )
        return out

    def deck_id(self, key: str) -> int | None:
        with self.database.connect() as conn:
            row = _sql(conn, "SELECT id FROM deck WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def due_reviews_all(self) -> int:
        """Reviews due today in live decks, not buried, daily limits ignored: with
        :meth:`counts` it says how many a review limit holds back (home says so, rather than
        "No reviews due now" while cards are due). One count over ``ix_state_queue_due``."""
        today = self.today().isoformat()
        with self.database.connect() as conn:
            return _sql(conn,
                "SELECT count(*) FROM card_state WHERE queue IN (1, 2) AND due_day <= ?1"
                " AND (drill_day IS NULL OR drill_day <> ?1) AND (buried_until IS NULL OR buried_until <= ?1)"
                " AND deck_id IN (SELECT id FROM deck WHERE archived = 0)", (today,)
            ).fetchone()[0]

    def next_due(self) -> date | None:
        """The earliest day after today on which a review falls due."""
        today = self.today().isoformat()
        with self.database.connect() as conn:
            value = _sql(conn,
                "SELECT min(due_day) FROM card_state WHERE queue IN (1, 2) AND due_day > ?", (today,)
            ).fetchone()[0]
        return _day(value)

    def answered_today(self) -> int:
        today = self.today().isoformat()
        with self.database.connect() as conn:
            return _sql(conn, "SELECT count(*) FROM review_log WHERE day = ?", (today,)).fetchone()[0]

    def streak(self) -> int:
        """Consecutive study days with at least one answer, ending today (or yesterday if
        nothing has been answered yet today)."""
        today = self.today()
        with self.database.connect() as conn:
            days = {
                date.fromisoformat(r[0])
                for r in _sql(conn, "SELECT DISTINCT day FROM review_log WHERE day >= ?",
                              ((today - timedelta(days=3660)).isoformat(),))
            }
        day = today if today in days else today - timedelta(days=1)
        n = 0
        while day in days:
            n += 1
            day -= timedelta(days=1)
        return n

    def utc_now_iso(self) -> str:
        return self.clock.now().astimezone(UTC).isoformat()
