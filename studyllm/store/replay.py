"""Card state as a function of the review log: replay.

:func:`replay_card` applies a card's answers in time order with exactly the rules of
:meth:`studyllm.store.Store.answer` (SM-2, same-day drills that leave SM-2 state alone,
lapses, leeches). The merge of an export (:mod:`studyllm.store.merge`), undo of an answer that
later merged answers follow, and :func:`rebuild` ("recompute every card from its log") all go
through it, so a merged home is in the state it would be in had all the answers been given on
one machine. Plain ``sqlite3`` (undo is on the study loop); imports nothing of the store's
faces, so the service can call it without a cycle.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

from studyllm.schedule import (
    FsrsScheduler,
    Sm2Scheduler,
    apply_answer,
    due_after,
    fsrs_queue,
    fsrs_state_of,
    fuzz_seed,
    queue_for,
    sm2_snapshot,
)
from studyllm.sm2 import Sm2State, validate_quality
from studyllm.sm2 import review as sm2_review
from studyllm.store import sql
from studyllm.store.db import Connection, Database, write_tx

__all__ = ["Event", "Derived", "fresh_state", "replay_card", "replay_and_write", "rebuild", "card_rows", "chunks",
           "scheduler_of", "switch_scheduler", "Timeline", "replay_timeline"]

T = TypeVar("T")

# the same text as studyllm.store.db.dumps (the undo snapshot format), one encoder made once
_snapshot_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
_SNAP_KEYS = tuple(sorted(sql.CARD_STATE_COLUMNS))
_json_str = json.encoder.encode_basestring  # (ensure_ascii=False, as the encoder above)


def _snapshot(state: dict[str, Any]) -> str:
    """``_snapshot_json(state)``, the undo snapshot of a card state, built without the generic
    encoder when the state holds the card_state columns as ints, text or None (a replay's
    states always do): the same text, a fifth of the time (tests/test_sync_bulk.py)."""
    if len(state) != len(_SNAP_KEYS):
        return _snapshot_json(state)
    parts = []
    for k in _SNAP_KEYS:
        v = state.get(k, _snapshot)
        t = type(v)
        if t is int:
            parts.append(f'"{k}":{v}')
        elif t is str:
            parts.append(f'"{k}":{_json_str(v)}')
        elif v is None:
            parts.append(f'"{k}":null')
        else:  # a bool, a float, a missing key...: the generic encoder
            return _snapshot_json(state)
    return "{" + ",".join(parts) + "}"


# SM-2's step, memoised: sm2.review and Sm2State are pure in (repetitions, ef, interval, grade)
_SM2_CACHE: dict[tuple[int, int, int, int], tuple[tuple[int, int, int], tuple[int, int, int]]] = {}
_DUE: dict[tuple[str, int], str] = {}  # (day, interval) -> due day


def _sm2_step(reps: int, ef_centi: int, interval: int, grade: int) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    key = (reps, ef_centi, interval, grade)
    found = _SM2_CACHE.get(key)
    if found is None:
        before = Sm2State(reps, ef_centi / 100, interval)
        after = sm2_review(before, grade)
        found = ((before.repetitions, before.easiness_centi, before.interval),
                 (after.repetitions, after.easiness_centi, after.interval))
        if len(_SM2_CACHE) > 200_000:
            _SM2_CACHE.clear()
        _SM2_CACHE[key] = found
    return found


def _sm2_rows(start: dict[str, Any], events: Iterable[Event], leech_at: int, archived: bool, card_id: int,
              card_uid: str, *, snapshots: bool = False) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """The SM-2 branch of :func:`studyllm.schedule.apply_answer` for a replay, with SM-2's step
    memoised (``start`` an SM-2 state with every card_state column): the final state, and for
    each event the parameters of :data:`sql.INSERT_REVIEW_LOG` (``card_id``, ``card_uid`` on
    every row). The state is kept in local variables instead of a dict per answer; with
    ``snapshots`` each row's ``state_before`` is the state before its answer (the state dict
    is then kept up to date answer by answer), else :data:`NO_SNAPSHOT` and the queue is
    computed once at the end (it is derived from the final state alone). The bulk merge's hot
    loop, and :func:`replay_card`'s SM-2 path; ``tests/test_sync_bulk.py`` checks both against
    ``apply_answer`` on random states and grades."""
    reps, ef, interval = start["repetitions"], start["ef_centi"], start["interval"]
    due, drill, reviews, lapses, leech = (start["due_day"], start["drill_day"], start["reviews"], start["lapses"],
                                          start["leech"])
    last = start["last_reviewed_at"]
    suspended = bool(start["suspended"])
    st = dict(start)
    snap = NO_SNAPSHOT
    cache, dues, step = _SM2_CACHE, _DUE, _sm2_step
    rows: list[tuple[Any, ...]] = []
    add = rows.append
    for uid, at, day, grade, ms, _order in events:
        if type(grade) is not int or not 0 <= grade <= 5:
            validate_quality(grade)  # raises, as apply_answer does
        if snapshots:
            snap = _snapshot(st)
        found = cache.get((reps, ef, interval, grade))
        (b0, b1, b2), after = found if found is not None else step(reps, ef, interval, grade)
        if drill == day and reviews > 0:
            add((uid, card_id, card_uid, at, day, grade, ms, "drill", b0, b1, b2, due, b0, b1, b2, due, snap, None))
            drill = None if grade >= 4 else day
        else:
            if reviews == 0:
                kind = "new"
            elif grade >= 3:
                kind = "review"
            else:
                kind = "relearn"
                lapses += 1
                if lapses >= leech_at and not leech:
                    leech = 1
            reps, ef, interval = after
            new_due = dues.get((day, interval))
            if new_due is None:
                if len(dues) > 200_000:
                    dues.clear()
                new_due = dues[(day, interval)] = due_after(date.fromisoformat(day), interval)
            add((uid, card_id, card_uid, at, day, grade, ms, kind, b0, b1, b2, due, reps, ef, interval, new_due,
                 snap, None))
            due = new_due
            drill = day if grade < 4 else None
        reviews += 1
        last = at
        if snapshots:  # the next answer's snapshot is this state
            st.update(repetitions=reps, ef_centi=ef, interval=interval, due_day=due, drill_day=drill,
                      reviews=reviews, lapses=lapses, leech=leech, last_reviewed_at=last,
                      queue=queue_for(reviews=reviews, repetitions=reps, suspended=suspended, archived=archived))
    if rows and not snapshots:
        st.update(repetitions=reps, ef_centi=ef, interval=interval, due_day=due, drill_day=drill, reviews=reviews,
                  lapses=lapses, leech=leech, last_reviewed_at=last,
                  queue=queue_for(reviews=reviews, repetitions=reps, suspended=suspended, archived=archived))
    return st, rows

# positions in a row of sql.SELECT_LOGS_OF_CARDS (card_id first, then the review_log columns)
_LOG = {c: i + 1 for i, c in enumerate(sql.REVIEW_LOG_COLUMNS)}
_DERIVED = slice(_LOG["kind"], _LOG["fsrs_after"] + 1)


class Event(NamedTuple):
    """One answer, as far as replay needs it. ``order`` breaks ties between equal instants.
    (A named tuple: a merge makes one per answer, four times cheaper than a frozen dataclass.)"""

    uid: str
    reviewed_at: str  # UTC ISO instant, normalised (sorts as text)
    day: str  # study day, ISO date
    grade: int
    duration_ms: int = 0
    order: int = 0


@dataclass
class Derived:
    """The fields of a review_log row that follow from replay (kind, before/after, snapshot),
    named and ordered as :data:`studyllm.store.sql.REVIEW_LOG_DERIVED_COLUMNS`."""

    kind: str
    reps_before: int
    ef_before: int
    interval_before: int
    due_before: str | None
    reps_after: int
    ef_after: int
    interval_after: int
    due_after: str | None
    state_before: str
    fsrs_after: str | None = None

    def as_tuple(self) -> tuple[Any, ...]:
        # by hand: dataclasses.astuple deep-copies every field, half the time of a merge
        return (self.kind, self.reps_before, self.ef_before, self.interval_before, self.due_before,
                self.reps_after, self.ef_after, self.interval_after, self.due_after, self.state_before,
                self.fsrs_after)


def fresh_state(card_id: int, deck_id: int, position: int, *, suspended: bool = False,
                buried_until: str | None = None, archived: bool = False) -> dict[str, Any]:
    """The state of a card nobody has answered (as the importer creates it)."""
    return {
        "card_id": card_id, "deck_id": deck_id, "position": position,
        "queue": queue_for(reviews=0, repetitions=0, suspended=suspended, archived=archived),
        "repetitions": 0, "ef_centi": 250, "interval": 0, "due_day": None, "reviews": 0, "lapses": 0,
        "last_reviewed_at": None, "drill_day": None, "buried_until": buried_until,
        "suspended": int(bool(suspended)), "leech": 0, "fsrs_state": None, "sm2_saved": None,
    }


NO_SNAPSHOT = "{}"  # review_log.state_before of an answer merged in (see replay_and_write)
_BY_TIME = itemgetter(1, 0)  # an Event's (reviewed_at, uid): the order of a card's answers
_AT = itemgetter(1)  # an Event's reviewed_at


def replay_card(
    start: dict[str, Any], events: Iterable[Event], *, leech_at: int, archived: bool = False,
    sched: Sm2Scheduler | FsrsScheduler | None = None, card_uid: str = "", snapshots: bool = True,
) -> tuple[dict[str, Any], list[Derived]]:
    """Apply ``events`` (already in time order) to ``start`` (a fresh state) the way
    :meth:`Store.answer` does, through ``sched`` (SM-2 when ``None``), and return the final
    state and each event's derived log fields. ``card_uid`` seeds FSRS's fuzz as the answer did.

    ``suspended`` and ``buried_until`` are not in the log: they are taken from ``start``.
    Without ``snapshots`` each answer's ``state_before`` is :data:`NO_SNAPSHOT`.
    """
    st = dict(start)
    out: list[Derived] = []
    fsrs = isinstance(sched, FsrsScheduler)
    if not fsrs and len(st) == len(_SNAP_KEYS) and st.get("fsrs_state") is None:
        # SM-2: the memoised step (the same results, tests/test_sync_bulk.py)
        st, rows = _sm2_rows(st, events, leech_at, archived, 0, "", snapshots=snapshots)
        return st, [Derived(*row[7:17]) for row in rows]
    for ev in events:
        before_row = dict(st)
        seed = fuzz_seed(card_uid, st["reviews"]) if fsrs else None
        applied = apply_answer(st, ev.grade, ev.day, ev.reviewed_at, leech_at=leech_at, archived=archived,
                               sched=sched, seed=seed)
        st, before, after = applied.state, applied.before, applied.after
        out.append(
            Derived(
                kind=applied.kind, reps_before=before.repetitions, ef_before=before.easiness_centi,
                interval_before=before.interval, due_before=before_row["due_day"],
                reps_after=after.repetitions, ef_after=after.easiness_centi, interval_after=after.interval,
                due_after=st["due_day"], state_before=_snapshot(before_row) if snapshots else NO_SNAPSHOT,
                fsrs_after=applied.fsrs_after,
            )
        )
    return st, out


def scheduler_of(conn: Connection) -> Sm2Scheduler | FsrsScheduler:
    """The scheduler the home's settings name, read through ``conn`` (a bad stored value counts
    as its default, as :meth:`Store.settings` does), so every replay, whoever calls it, uses
    the scheduler the answers are given with."""
    from studyllm.schedule import from_settings
    from studyllm.store.settings import SPECS, validate

    values = {k: SPECS[k].default for k in SPECS}
    for key, raw in conn.execute("SELECT key, value FROM setting"):
        if key in SPECS:
            try:
                values[key] = validate(key, json.loads(raw))
            except (ValueError, TypeError, RecursionError):
                pass
    return from_settings(values)


def _utc(at: str) -> datetime:
    t = datetime.fromisoformat(at)
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


@dataclass
class Timeline:
    """The scheduler settings in force over time, from the ``schedv:`` points of ``sync_stamp``
    (every change of a scheduler setting made on any home while sync was on, docs/sync.md).

    An answer given at instant ``t`` is scheduled with the settings of the last point at or
    before ``t`` (ties: the point first); before the first point of a key, that key has its
    default (a home that never changed it with sync on keeps its own value: it has no point).
    Every home holding the same points and the same log therefore replays each answer the same
    way, whatever the order the events arrived in."""

    instants: list[datetime] = field(default_factory=list)
    configs: list[dict[str, Any]] = field(default_factory=list)  # in force from instants[i]
    base: dict[str, Any] = field(default_factory=dict)  # before the first point
    _scheds: dict[int, Sm2Scheduler | FsrsScheduler] = field(default_factory=dict)

    @staticmethod
    def load(conn: Connection) -> Timeline | None:
        """The home's timeline, ``None`` when it has no point (the settings alone decide)."""
        from studyllm.store.settings import SCHEDULER_KEYS, SPECS, validate
        from studyllm.store.sync_events import SCHED_POINT

        rows = conn.execute("SELECT name, at, value FROM sync_stamp WHERE name >= ? AND name < ?"
                            " ORDER BY at, dev, seq", (SCHED_POINT, SCHED_POINT[:-1] + chr(ord(SCHED_POINT[-1]) + 1))
                            ).fetchall()
        points: list[tuple[datetime, str, Any]] = []
        for name, at, raw in rows:
            key = name[len(SCHED_POINT):].split("|", 1)[0]
            try:
                points.append((_utc(at), key, validate(key, json.loads(raw))))
            except (ValueError, TypeError, RecursionError):
                continue  # (checked when merged: never stored bad)
        if not points:
            return None
        current = {k: SPECS[k].default for k in SCHEDULER_KEYS}
        for key, raw in conn.execute("SELECT key, value FROM setting"):
            if key in current:
                try:
                    current[key] = validate(key, json.loads(raw))
                except (ValueError, TypeError, RecursionError):
                    pass
        with_points = {key for _, key, _ in points}
        base = {k: (SPECS[k].default if k in with_points else current[k]) for k in SCHEDULER_KEYS}
        tl = Timeline(base=base)
        cfg = dict(base)
        for at, key, value in points:  # (points at one instant stay apart, in (dev, seq) order)
            cfg = {**cfg, key: value}
            tl.instants.append(at)
            tl.configs.append(cfg)
        return tl

    def config(self, i: int) -> dict[str, Any]:
        return self.base if i < 0 else self.configs[i]

    def sched(self, i: int) -> Sm2Scheduler | FsrsScheduler:
        """The scheduler of point ``i`` (-1: before the first)."""
        found = self._scheds.get(i)
        if found is None:
            from studyllm.schedule import from_settings

            found = self._scheds[i] = from_settings(self.config(i))
        return found

    def final(self) -> Sm2Scheduler | FsrsScheduler:
        return self.sched(len(self.instants) - 1)

    def index_at(self, t: datetime) -> int:
        """The point in force at ``t`` (-1: none yet)."""
        return bisect_right(self.instants, t) - 1

    def last(self) -> datetime:
        return self.instants[-1]


def replay_timeline(
    start: dict[str, Any], events: Sequence[Event], tl: Timeline, *, leech_at: int, archived: bool = False,
    card_uid: str = "",
) -> tuple[dict[str, Any], list[Derived]]:
    """:func:`replay_card` with the scheduler in force at each answer's time (``tl``), and at
    each switch of scheduler the card rescheduled as :func:`switch_scheduler` does on the home
    that switched: to FSRS, the SM-2 state is kept in ``sm2_saved`` (with the answers it stands
    for) and the answers so far are replayed through FSRS, their log fields staying SM-2's; to
    SM-2, the answers so far are replayed through SM-2 (which is what restoring ``sm2_saved``
    and replaying the answers since gives) and their log fields become SM-2's again. So a home
    that merged the switch and every answer ends in the state of the home that switched."""
    st = dict(start)
    derived: list[Derived] = []
    kind = tl.config(-1)["scheduler"]
    j = 0
    n_points = len(tl.instants)

    def switch(i: int, to: str, sched: Sm2Scheduler | FsrsScheduler) -> dict[str, Any]:
        """The state once the scheduler becomes ``to``, the first ``i`` answers given."""
        if i == 0:  # a new card stays new (its first FSRS answer saves its SM-2 state)
            return st
        fresh = fresh_state(st["card_id"], st["deck_id"], st["position"], suspended=bool(st["suspended"]),
                            buried_until=st["buried_until"], archived=archived)
        if to == "fsrs":
            fresh.update(repetitions=st["repetitions"], ef_centi=st["ef_centi"],
                         sm2_saved=sm2_snapshot(st, log_n=i, log_last=events[i - 1].uid))
            new, _ = replay_card(fresh, events[:i], leech_at=leech_at, archived=archived, sched=sched,
                                 card_uid=card_uid)
            return new
        new, again = replay_card(fresh, events[:i], leech_at=leech_at, archived=archived, sched=sched,
                                 card_uid=card_uid)
        derived[:i] = again
        return new

    for i, ev in enumerate(events):
        t = _utc(ev.reviewed_at)
        while j < n_points and tl.instants[j] <= t:
            to = tl.configs[j]["scheduler"]
            if to != kind:
                st = switch(i, to, tl.sched(j))
                kind = to
            j += 1
        st, one = replay_card(st, (ev,), leech_at=leech_at, archived=archived, sched=tl.sched(j - 1),
                              card_uid=card_uid)
        derived.extend(one)
    while j < n_points:
        to = tl.configs[j]["scheduler"]
        if to != kind:
            st = switch(len(events), to, tl.sched(j))
            kind = to
        j += 1
    return st, derived


def chunks(items: Sequence[T], n: int = 500) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``n`` (SQLite caps the parameters of one statement)."""
    for i in range(0, len(items), n):
        yield items[i:i + n]


def card_rows(conn: Connection, card_ids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
    """card id -> (deck_id, position, suspended, buried_until, archived, card uid, sm2_saved) for the
    cards that exist."""
    out: dict[int, tuple[Any, ...]] = {}
    for chunk in chunks(card_ids):
        for r in conn.execute(
            "SELECT s.card_id, s.deck_id, s.position, s.suspended, s.buried_until, c.archived, c.uid, s.sm2_saved"
            f" FROM card_state s JOIN card c ON c.id = s.card_id WHERE s.card_id IN ({','.join('?' * len(chunk))})",
            tuple(chunk),
        ):
            out[r[0]] = r[1:]
    return out


def _states(conn: Connection, card_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """card id -> its stored card_state row as a dict."""
    marks = ",".join("?" * len(card_ids))
    return {r[0]: sql.state_dict(r) for r in conn.execute(
        f"SELECT {', '.join(sql.CARD_STATE_COLUMNS)} FROM card_state WHERE card_id IN ({marks})", tuple(card_ids))}


def replay_and_write(
    conn: Connection,
    card_ids: Iterable[int],
    *,
    leech_at: int,
    new_events: dict[int, list[Event]] | None = None,
    card_uids: dict[int, str] | None = None,
    flags: dict[int, tuple[bool, str | None]] | None = None,
    sched: Sm2Scheduler | FsrsScheduler | None = None,
    from_start: Set[int] = frozenset(),
) -> tuple[int, int]:
    """Replay ``card_ids`` from their local log plus ``new_events`` (inserted here) through
    ``sched`` (default: the scheduler the settings name), and write the states and any derived
    log fields that changed. Returns (rows inserted, rows fixed). A card in ``from_start`` (one
    whose log lost a row, e.g. to an undo from another device) is always replayed from the start:
    its stored state still counts the removed answer.

    Under FSRS a card keeps its ``sm2_saved`` (the SM-2 state it had when FSRS took over).

    An answer inserted here (merged in from another home or an export) gets no undo snapshot
    (``state_before`` is :data:`NO_SNAPSHOT`, as for histories imported from Anki): undo only
    takes back this home's own answers, whose snapshots the study path wrote and which a
    replay keeps up to date. That spares the bulk merge a JSON text per answer (a third of a
    log row) and its encoding. A row already here gets the snapshot its replay gives (a
    rebuild restores them)."""
    tl = Timeline.load(conn)
    if tl is not None:  # sync brought scheduler changes: each answer under the one of its time
        sched = tl.final()
    elif sched is None:
        sched = scheduler_of(conn)
    fsrs = isinstance(sched, FsrsScheduler)
    new_events = new_events or {}
    flags = flags or {}
    inserted = fixed = 0
    i_id, i_uid, i_at, i_day, i_grade, i_ms = (
        _LOG["id"], _LOG["uid"], _LOG["reviewed_at"], _LOG["day"], _LOG["grade"], _LOG["duration_ms"]
    )
    for chunk in chunks(sorted(card_ids)):
        cards = card_rows(conn, chunk)
        current = _states(conn, chunk)
        # A card whose new answers all come after its last answer here (the usual incremental
        # merge) goes on from its stored state, which is the replay of its log: only the new
        # answers are applied, and its log is not read. The others are replayed from the start.
        # (With a timeline, only answers after its last point: an earlier one may belong to
        # another scheduler's time.)
        first = {cid: min(map(_AT, new_events[cid])) for cid in chunk if new_events.get(cid)}
        ahead = {cid for cid in first if cid in current and cid not in from_start
                 and (current[cid]["last_reviewed_at"] is None and current[cid]["reviews"] == 0
                      or first[cid] > (current[cid]["last_reviewed_at"] or "~"))
                 and (tl is None or _utc(first[cid]) > tl.last())}
        full = [cid for cid in chunk if cid not in ahead]
        local: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        if full:
            for r in conn.execute(sql.SELECT_LOGS_OF_CARDS.format(",".join("?" * len(full))), tuple(full)):
                local[r[0]].append(r)
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        states: list[tuple[Any, ...]] = []
        for cid in chunk:
            if cid not in cards:
                continue
            deck_id, position, suspended, buried, archived, uid, sm2_saved = cards[cid]
            if cid in flags:
                suspended, buried = flags[cid]
            if cid in ahead:
                start = {**current[cid], "suspended": int(bool(suspended)), "buried_until": buried}
                news = sorted(new_events[cid], key=_BY_TIME)
                uid_of = card_uids[cid] if card_uids else ""
                if not fsrs and len(start) == len(_SNAP_KEYS) and start["fsrs_state"] is None:
                    final, rows = _sm2_rows(start, news, leech_at, bool(archived), cid, uid_of)
                    inserts += rows
                else:
                    final, derived = replay_card(start, news, leech_at=leech_at, archived=bool(archived),
                                                 sched=sched, card_uid=uid, snapshots=False)
                    inserts.extend((ev.uid, cid, uid_of, ev.reviewed_at, ev.day, ev.grade, ev.duration_ms,
                                    *d.as_tuple()) for ev, d in zip(news, derived, strict=True))
                states.append(sql.state_update_params(final))
                continue
            # answers of two devices at one instant: by uid, the order every home gives them (a home's
            # own answers to a card never share an instant: Store.answer steps past the last one)
            merged: list[tuple[Event, tuple[Any, ...] | None]] = [
                (Event(r[i_uid], r[i_at], r[i_day], r[i_grade], r[i_ms], order=r[i_id]), r) for r in local.get(cid, [])
            ]
            merged += [(ev, None) for ev in new_events.get(cid, [])]
            merged.sort(key=lambda pair: (pair[0].reviewed_at, pair[0].uid))
            start = fresh_state(cid, deck_id, position, suspended=bool(suspended), buried_until=buried,
                                archived=bool(archived))
            if tl is not None:
                final, derived = replay_timeline(start, [ev for ev, _ in merged], tl, leech_at=leech_at,
                                                 archived=bool(archived), card_uid=uid)
            elif fsrs and sm2_saved and json.loads(sm2_saved).get("log_n") != 0:
                # the SM-2 state the card had when FSRS took over, with the answers it stands for
                # (one that stands for none is made again by the card's first FSRS answer)
                start["sm2_saved"] = sm2_saved
            if tl is None:
                final, derived = replay_card(start, [ev for ev, _ in merged], leech_at=leech_at,
                                             archived=bool(archived), sched=sched, card_uid=uid)
            for (ev, row), d in zip(merged, derived, strict=True):
                if row is None:
                    d.state_before = NO_SNAPSHOT
                    inserts.append(
                        (ev.uid, cid, card_uids[cid] if card_uids else "", ev.reviewed_at, ev.day, ev.grade,
                         ev.duration_ms, *d.as_tuple())
                    )
                elif tuple(row[_DERIVED]) != d.as_tuple():
                    updates.append((*d.as_tuple(), row[i_id]))
            states.append(sql.state_update_params(final))
        if inserts:
            conn.executemany(sql.INSERT_REVIEW_LOG, inserts)
            inserted += len(inserts)
        if updates:
            conn.executemany(sql.UPDATE_REVIEW_LOG_DERIVED, updates)
            fixed += len(updates)
        if states:
            conn.executemany(sql.UPDATE_STATE, states)
    return inserted, fixed


def rebuild(database: Database, *, leech_at: int, card_ids: Iterable[int] | None = None,
            sched: Sm2Scheduler | FsrsScheduler | None = None) -> int:
    """Recompute card states (and the derived log fields) from the review log in one write
    transaction. With no ``card_ids``, every card (a card without answers goes back to new).
    Returns the number replayed."""
    with write_tx(database) as conn:
        if card_ids is None:
            ids = [r[0] for r in conn.execute("SELECT id FROM card")]
        else:
            ids = list(dict.fromkeys(card_ids))
        replay_and_write(conn, ids, leech_at=leech_at, sched=sched)
    return len(ids)


_STATE_SQL = f"SELECT {', '.join(sql.CARD_STATE_COLUMNS)} FROM card_state WHERE card_id IN ({{}})"


def switch_scheduler(conn: Connection, sched: Sm2Scheduler | FsrsScheduler, *, leech_at: int) -> int:
    """Reschedule every card for ``sched`` inside the caller's write transaction; returns the
    number of cards whose state changed.

    To FSRS: a card with a log gets the FSRS state of replaying its own log through FSRS (its
    SM-2 fields are kept in ``sm2_saved``, with how many log rows they stand for); a card
    reviewed without a log (a schedule taken from Anki or obsidian-SR) starts from its SM-2
    state (:meth:`FsrsScheduler.from_sm2`), keeping its due day. A new card is left as it is.
    The log rows are left as they are (their SM-2 before/after fields stay).

    To SM-2: a card whose ``sm2_saved`` still matches its log (the rows it stands for are all
    there) gets that SM-2 state back exactly, and the answers given since are replayed on it
    through SM-2; any other card (an answer it stood for was undone, or merged in before it)
    is replayed through SM-2 from its whole log."""
    to_fsrs = isinstance(sched, FsrsScheduler)
    changed = 0
    ids = [r[0] for r in conn.execute("SELECT card_id FROM card_state ORDER BY card_id")]
    i_uid, i_at, i_day, i_grade, i_ms, i_id = (
        _LOG["uid"], _LOG["reviewed_at"], _LOG["day"], _LOG["grade"], _LOG["duration_ms"], _LOG["id"]
    )
    for chunk in chunks(ids):
        marks = ",".join("?" * len(chunk))
        states = {r[0]: sql.state_dict(r) for r in conn.execute(_STATE_SQL.format(marks), tuple(chunk))}
        logs: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for r in conn.execute(sql.SELECT_LOGS_OF_CARDS.format(marks), tuple(chunk)):
            logs[r[0]].append(r)
        cards = card_rows(conn, chunk)
        out_states: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        for cid in chunk:
            cur = states[cid]
            log = logs.get(cid, [])
            _deck, _pos, _susp, _buried, archived, uid, _saved = cards[cid]
            archived = bool(archived)
            events = [Event(r[i_uid], r[i_at], r[i_day], r[i_grade], r[i_ms], order=r[i_id]) for r in log]
            if to_fsrs:
                if cur["sm2_saved"] is not None:  # already FSRS's
                    continue
                saved = sm2_snapshot(cur, log_n=len(log), log_last=log[-1][i_uid] if log else None)
                if log:
                    start = fresh_state(cid, cur["deck_id"], cur["position"], suspended=bool(cur["suspended"]),
                                        buried_until=cur["buried_until"], archived=archived)
                    start.update(repetitions=cur["repetitions"], ef_centi=cur["ef_centi"], sm2_saved=saved)
                    new, _ = replay_card(start, events, leech_at=leech_at, archived=archived, sched=sched,
                                         card_uid=uid)
                elif cur["reviews"] == 0:  # a new card stays new (its first FSRS answer saves its SM-2 state)
                    continue
                else:
                    new = dict(cur, sm2_saved=saved)
                    if cur["last_reviewed_at"]:
                        assert isinstance(sched, FsrsScheduler)
                        new["fsrs_state"] = _snapshot(fsrs_state_of(cur, sched).to_json())
                    new["queue"] = fsrs_queue(new, archived=archived)
            else:
                if cur["sm2_saved"] is None and cur["fsrs_state"] is None:  # already SM-2's
                    continue
                saved_d = json.loads(cur["sm2_saved"]) if cur["sm2_saved"] else None
                n = saved_d["log_n"] if saved_d else None
                if saved_d is not None and n is not None and n <= len(log) and (
                        n == 0 or log[n - 1][i_uid] == saved_d["log_last"]):
                    start = dict(cur, fsrs_state=None, sm2_saved=None)
                    for key in ("repetitions", "ef_centi", "interval", "due_day", "drill_day", "reviews", "lapses",
                                "leech", "last_reviewed_at"):
                        start[key] = saved_d[key]
                    start["queue"] = queue_for(reviews=start["reviews"], repetitions=start["repetitions"],
                                               suspended=bool(start["suspended"]), archived=archived)
                    tail, tail_rows = events[n:], log[n:]
                else:
                    start = fresh_state(cid, cur["deck_id"], cur["position"], suspended=bool(cur["suspended"]),
                                        buried_until=cur["buried_until"], archived=archived)
                    tail, tail_rows = events, log
                new, derived = replay_card(start, tail, leech_at=leech_at, archived=archived, sched=sched,
                                           card_uid=uid)
                for row, d in zip(tail_rows, derived, strict=True):
                    if tuple(row[_DERIVED]) != d.as_tuple():
                        updates.append((*d.as_tuple(), row[i_id]))
            if new != cur:
                changed += 1
                out_states.append(sql.state_update_params(new))
        if out_states:
            conn.executemany(sql.UPDATE_STATE, out_states)
        if updates:
            conn.executemany(sql.UPDATE_REVIEW_LOG_DERIVED, updates)
    return changed
