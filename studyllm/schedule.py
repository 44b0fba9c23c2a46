"""What one answer does to a card's scheduling state (pure: no I/O).

Shared by :meth:`studyllm.store.Store.answer` and by the replay that rebuilds card states
from a merged review log, so the two can never disagree.

The state is a plain dict with the ``card_state`` columns (``repetitions``, ``ef_centi``,
``interval``, ``due_day``, ``reviews``, ``lapses``, ``last_reviewed_at``, ``drill_day``,
``suspended``, ``leech``, ``queue`` ...). Days are ISO dates.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, Protocol, TypeVar

from studyllm.sm2 import Sm2State, review, validate_quality

__all__ = [
    "Applied", "apply_answer", "queue_for", "due_after", "Scheduler", "Sm2Scheduler", "FsrsScheduler", "FsrsState",
    "fsrs_rating", "scheduler", "from_settings", "fit_available", "fit_parameters", "FITTED_NAME", "fuzz_seed",
    "sm2_snapshot", "fsrs_state_of", "fsrs_queue", "Evaluation", "evaluate", "predictions", "MIN_EVAL_REVIEWS",
]

S = TypeVar("S")

# card_state.queue values
QUEUE_NEW = 0
QUEUE_LEARNING = 1  # reviewed, repetitions < 2 (still on the 1- and 6-day steps)
QUEUE_REVIEW = 2
QUEUE_SUSPENDED = -1
QUEUE_ARCHIVED = -2  # removed from its file; history kept


def queue_for(*, reviews: int, repetitions: int, suspended: bool, archived: bool,
              fsrs_state: str | None = None) -> int:
    """The queue of a card state. ``fsrs_state`` (the ``card_state`` column): a card FSRS
    schedules is learning while in FSRS's learning or relearning phase, else SM-2's first
    two steps are learning."""
    if archived:
        return QUEUE_ARCHIVED
    if suspended:
        return QUEUE_SUSPENDED
    if reviews == 0:
        return QUEUE_NEW
    if fsrs_state:
        return QUEUE_REVIEW if json.loads(fsrs_state).get("phase") == 2 else QUEUE_LEARNING
    return QUEUE_LEARNING if repetitions < 2 else QUEUE_REVIEW


def due_after(today: date, interval: int) -> str:
    """``today + interval`` as an ISO date. SM-2 has no maximum interval, so a card passed
    dozens of times in a row could run past the last representable date: pin it there."""
    try:
        return (today + timedelta(days=interval)).isoformat()
    except OverflowError:
        return date.max.isoformat()


# The value records here are NamedTuples, not dataclasses: the store's cold start imports this
# module, and dataclasses (with inspect, ast and dis) is ~8 ms of it (#14).
class Applied(NamedTuple):
    state: dict[str, Any]  # the new state (a new dict; the input is not changed)
    kind: str  # "new", "review", "relearn" or "drill"
    before: Sm2State
    after: Sm2State
    became_leech: bool
    fsrs_after: str | None = None  # FSRS answers: the FSRS state after it (JSON text), for the log


def apply_answer(
    state: dict[str, Any], grade: int, day: str, instant: str, *, leech_at: int, archived: bool = False,
    sched: Sm2Scheduler | FsrsScheduler | None = None, seed: int | None = None,
) -> Applied:
    """Apply one answer given on study ``day`` at UTC ``instant`` through ``sched`` (SM-2 when
    ``None``; see :func:`from_settings`). ``seed`` seeds FSRS's fuzz (:func:`fuzz_seed`).

    SM-2: a card answered again on the day it was last graded below 4 is a same-day drill: SM-2
    state is left alone and the drill ends once it scores 4 or more. Otherwise SM-2 runs,
    a failure (q < 3) of a card already seen counts a lapse, and a card graded below 4
    comes back later the same day.

    FSRS (:func:`_apply_fsrs`): the package's learning and relearning steps are the same-day
    repetitions instead."""
    grade = validate_quality(grade)
    if isinstance(sched, FsrsScheduler):
        return _apply_fsrs(state, grade, day, instant, leech_at=leech_at, archived=archived, sched=sched, seed=seed)
    st = dict(state)
    before = Sm2State(st["repetitions"], st["ef_centi"] / 100, st["interval"])
    became_leech = False
    if st["drill_day"] == day and st["reviews"] > 0:
        kind = "drill"
        after = before
        st["drill_day"] = None if grade >= 4 else day
    else:
        kind = "new" if st["reviews"] == 0 else ("review" if grade >= 3 else "relearn")
        after = review(before, grade)
        if grade < 3 and st["reviews"] > 0:
            st["lapses"] += 1
            if st["lapses"] >= leech_at and not st["leech"]:
                st["leech"] = 1  # stored as an integer, as SQLite returns it
                became_leech = True
        st["repetitions"] = after.repetitions
        st["ef_centi"] = after.easiness_centi
        st["interval"] = after.interval
        st["due_day"] = due_after(date.fromisoformat(day), after.interval)
        st["drill_day"] = day if grade < 4 else None
    st["reviews"] += 1
    st["last_reviewed_at"] = instant
    st["queue"] = queue_for(
        reviews=st["reviews"], repetitions=st["repetitions"], suspended=bool(st["suspended"]), archived=archived
    )
    return Applied(state=st, kind=kind, before=before, after=after, became_leech=became_leech)


# the same compact, sorted JSON as studyllm.store.db.dumps (what the snapshots compare)
_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode

SM2_SAVED_KEYS = ("repetitions", "ef_centi", "interval", "due_day", "drill_day", "reviews", "lapses", "leech",
                  "last_reviewed_at")


def sm2_snapshot(state: dict[str, Any], *, log_n: int | None, log_last: str | None) -> str:
    """The SM-2 fields of a card state (JSON) kept in ``sm2_saved`` while FSRS schedules it,
    with how many log rows it stands for and the last one's uid: switching back to SM-2 starts
    from it and replays only the answers given since (:func:`studyllm.store.replay.to_sm2`)."""
    return _json({**{k: state[k] for k in SM2_SAVED_KEYS}, "log_n": log_n, "log_last": log_last})


def fsrs_state_of(state: dict[str, Any], sched: FsrsScheduler) -> FsrsState:
    """The FSRS state a card state holds: its ``fsrs_state``; a card with none that was
    reviewed (an SM-2 state taken from elsewhere, with no log) starts from its SM-2 state
    (:meth:`FsrsScheduler.from_sm2`); else a new card's."""
    raw = state.get("fsrs_state")
    if raw:
        return FsrsState.from_json(json.loads(raw))
    if state["reviews"] > 0 and state["last_reviewed_at"]:
        last = datetime.fromisoformat(state["last_reviewed_at"])
        return sched.from_sm2(state["ef_centi"] / 100, state["interval"],
                              last.replace(tzinfo=UTC) if last.tzinfo is None else last)
    return sched.new_state()


def _apply_fsrs(
    state: dict[str, Any], grade: int, day: str, instant: str, *, leech_at: int, archived: bool,
    sched: FsrsScheduler, seed: int | None,
) -> Applied:
    """One answer through FSRS. ``repetitions`` and ``ef_centi`` are left alone (SM-2's; the SM-2
    state is in ``sm2_saved``), ``interval`` is the FSRS interval in days and ``due_day`` the day
    FSRS gives. A due instant within the same day (a learning or relearning step) makes the
    card a same-day repetition (``drill_day``), shown again once that instant has passed. A
    lapse is an Again (grades 0-2) on a card in FSRS's review phase."""
    st = dict(state)
    if st.get("sm2_saved") is None:  # first FSRS answer of a card FSRS had not seen at the switch
        st["sm2_saved"] = sm2_snapshot(st, log_n=0 if st["reviews"] == 0 else None, log_last=None)
    before = Sm2State(st["repetitions"], st["ef_centi"] / 100, st["interval"])
    fs_before = fsrs_state_of(st, sched)
    at = datetime.fromisoformat(instant)
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)  # a log row from elsewhere
    if st["reviews"] == 0:
        kind = "new"
    elif st["drill_day"] == day:
        kind = "drill"
    else:
        kind = "review" if grade >= 3 else "relearn"
    fs_after, due = sched.review(fs_before, grade, at, seed=seed)
    days = max(0, (due - at) // timedelta(days=1))
    became_leech = False
    if grade < 3 and fs_before.phase == 2:
        st["lapses"] += 1
        if st["lapses"] >= leech_at and not st["leech"]:
            st["leech"] = 1
            became_leech = True
    st["fsrs_state"] = _json(fs_after.to_json())
    st["interval"] = days
    st["due_day"] = due_after(date.fromisoformat(day), days)
    st["drill_day"] = day if days == 0 else None
    st["reviews"] += 1
    st["last_reviewed_at"] = instant
    if archived:
        st["queue"] = QUEUE_ARCHIVED
    elif st["suspended"]:
        st["queue"] = QUEUE_SUSPENDED
    else:
        st["queue"] = QUEUE_REVIEW if fs_after.phase == 2 else QUEUE_LEARNING
    after = Sm2State(st["repetitions"], st["ef_centi"] / 100, days)
    return Applied(state=st, kind=kind, before=before, after=after, became_leech=became_leech,
                   fsrs_after=st["fsrs_state"])


def fuzz_seed(card_uid: str, reviews: int) -> int:
    """The fuzz seed of a card's answer number ``reviews`` (0 for the first): the same on every
    machine and after an undo, so a replay or a merge gives the same interval."""
    import zlib  # here, not at the top: only FSRS answers need it, and the store's cold start does not (#14)

    return zlib.crc32(f"{card_uid}:{reviews}".encode())


def fsrs_queue(state: dict[str, Any], *, archived: bool) -> int:
    """The queue of a card state scheduled by FSRS (learning while in a learning step)."""
    return queue_for(reviews=state["reviews"], repetitions=2, suspended=bool(state["suspended"]), archived=archived,
                     fsrs_state=state.get("fsrs_state"))


# ---------------------------------------------------------------------------- the scheduler seam
#
# A scheduler owns its typed state: ``new_state()`` makes one, ``review(state, grade, at)``
# returns the next state and when the card is due again, ``preview`` says what each grade
# would do without changing anything. ``scheduler("sm2")`` and ``scheduler("fsrs", ...)``
# build one; :func:`from_settings` builds the one the learner's settings name, and the store's
# answer, undo and replay pass it to :func:`apply_answer` above.

GRADES = (0, 1, 2, 3, 4, 5)


class Scheduler(Protocol[S]):
    """What every scheduler offers. ``at`` and the returned due instants are aware UTC datetimes."""

    name: str

    def new_state(self) -> S: ...

    def review(self, state: S, grade: int, at: datetime, *, seed: int | None = None) -> tuple[S, datetime]: ...

    def preview(self, state: S, at: datetime, *, seed: int | None = None) -> dict[int, datetime]: ...


def _check_at(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() != timedelta(0):
        raise ValueError(f"review time must be an aware UTC datetime, got {at!r}")
    return at.astimezone(UTC)


class Sm2Scheduler:
    """SM-2 as :mod:`studyllm.sm2` defines it: the due instant is ``at`` plus the interval in days."""

    name = "sm2"

    def new_state(self) -> Sm2State:
        return Sm2State()

    def review(
        self, state: Sm2State, grade: int, at: datetime, *, seed: int | None = None
    ) -> tuple[Sm2State, datetime]:
        at = _check_at(at)
        after = review(state, grade)
        return after, at + timedelta(days=after.interval)

    def preview(self, state: Sm2State, at: datetime, *, seed: int | None = None) -> dict[int, datetime]:
        return {g: self.review(state, g, at, seed=seed)[1] for g in GRADES}


class FsrsState(NamedTuple):
    """FSRS memory and learning state of one card, as py-fsrs's ``Card`` holds it.
    ``phase`` is ``fsrs.State`` (1 learning, 2 review, 3 relearning); ``step`` the learning step."""

    phase: int = 1
    step: int | None = 0
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "phase": self.phase, "step": self.step, "stability": self.stability, "difficulty": self.difficulty,
            "due": self.due.isoformat() if self.due else None,
            "last_review": self.last_review.isoformat() if self.last_review else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FsrsState:
        due, last = data.get("due"), data.get("last_review")
        return cls(
            phase=int(data["phase"]), step=data.get("step"), stability=data.get("stability"),
            difficulty=data.get("difficulty"), due=datetime.fromisoformat(due) if due else None,
            last_review=datetime.fromisoformat(last) if last else None,
        )


def fsrs_rating(grade: int) -> int:
    """The FSRS rating of a 0..5 grade, as the 4-button mode maps them: 0-2 Again, 3 Hard, 4 Good, 5 Easy."""
    g = validate_quality(grade)
    return 1 if g <= 2 else g - 1


_FUZZ_LOCK = threading.Lock()


class FsrsScheduler:
    """FSRS through the ``fsrs`` package (py-fsrs 6.x): the maths is the package's. Fuzz, when on,
    is the package's own, drawn from a generator seeded by ``seed`` (per card and review), so an
    undo or a replay of the same answer gives the same interval."""

    name = "fsrs"

    def __init__(self, *, desired_retention: float = 0.9, learning_steps: Sequence[timedelta] | None = None,
                 relearning_steps: Sequence[timedelta] | None = None, maximum_interval: int = 36500,
                 fuzz: bool = True, parameters: Sequence[float] | None = None) -> None:
        import fsrs

        kwargs: dict[str, Any] = {"desired_retention": desired_retention, "maximum_interval": maximum_interval,
                                  "enable_fuzzing": fuzz}
        if learning_steps is not None:
            kwargs["learning_steps"] = tuple(learning_steps)
        if relearning_steps is not None:
            kwargs["relearning_steps"] = tuple(relearning_steps)
        if parameters is not None:
            kwargs["parameters"] = tuple(parameters)
        if not 0 < desired_retention < 1:
            raise ValueError(f"desired_retention must be between 0 and 1, got {desired_retention!r}")
        self._fsrs = fsrs
        self._impl = fsrs.Scheduler(**kwargs)
        self.fuzz = fuzz

    def new_state(self) -> FsrsState:
        return FsrsState()

    def _card(self, state: FsrsState, at: datetime) -> Any:
        f = self._fsrs
        return f.Card(card_id=0, state=f.State(state.phase), step=state.step, stability=state.stability,
                      difficulty=state.difficulty, due=state.due or at, last_review=state.last_review)

    def review(
        self, state: FsrsState, grade: int, at: datetime, *, seed: int | None = None
    ) -> tuple[FsrsState, datetime]:
        at = _check_at(at)
        rating = self._fsrs.Rating(fsrs_rating(grade))
        card = self._card(state, at)
        if self.fuzz:
            # the package draws fuzz from the module-level generator: seed it for this one call
            # and put the caller's generator state back afterwards (``random`` imported here: the
            # package has it loaded by now, and the store's cold start does not need it, #14)
            import random

            with _FUZZ_LOCK:
                saved = random.getstate()
                random.seed(seed)
                try:
                    card, _ = self._impl.review_card(card, rating, at)
                finally:
                    random.setstate(saved)
        else:
            card, _ = self._impl.review_card(card, rating, at)
        after = FsrsState(phase=int(card.state), step=card.step, stability=card.stability,
                          difficulty=card.difficulty, due=card.due, last_review=card.last_review)
        return after, card.due

    def preview(self, state: FsrsState, at: datetime, *, seed: int | None = None) -> dict[int, datetime]:
        return {g: self.review(state, g, at, seed=seed)[1] for g in GRADES}

    def from_sm2(self, easiness: float, interval: int, last_review: datetime, *,
                 sm2_retention: float = 0.9) -> FsrsState:
        """A starting FSRS state for a card known only by its SM-2 state (no log to replay), as
        Anki's ``memory_state_from_sm2`` (fsrs-rs) derives it: the stability whose forgetting
        curve falls to ``sm2_retention`` after ``interval`` days, and the difficulty that
        makes FSRS's stability growth match the ease factor. Due ``interval`` days after
        ``last_review``; in FSRS's review phase."""
        w = list(self._impl.parameters)
        decay = -w[20]
        factor = 0.9 ** (1 / decay) - 1
        stability = max(float(interval), 0.001) * factor / (sm2_retention ** (1 / decay) - 1)
        difficulty = 11.0 - (easiness - 1.0) / (
            math.exp(w[8]) * stability ** (-w[9]) * math.expm1((1.0 - sm2_retention) * w[10]))
        last = last_review.astimezone(UTC)
        return FsrsState(phase=2, step=None, stability=stability, difficulty=min(10.0, max(1.0, difficulty)),
                         due=last + timedelta(days=interval), last_review=last)

    def retrievability(self, state: FsrsState, at: datetime) -> float | None:
        """Predicted probability of recall at ``at`` (``None`` before the first review)."""
        if state.last_review is None or state.stability is None:
            return None
        return float(self._impl.get_card_retrievability(self._card(state, at), _check_at(at)))


def _steps(value: Sequence[timedelta] | Sequence[int] | None) -> tuple[timedelta, ...] | None:
    if value is None:
        return None
    return tuple(v if isinstance(v, timedelta) else timedelta(minutes=v) for v in value)


def scheduler(name: str, **options: Any) -> Sm2Scheduler | FsrsScheduler:
    """The scheduler called ``name`` (``"sm2"`` or ``"fsrs"``). FSRS options: ``desired_retention``,
    ``learning_steps`` / ``relearning_steps`` (timedeltas, or whole minutes), ``maximum_interval``,
    ``fuzz``, ``parameters``. SM-2 takes none."""
    if name == "sm2":
        if options:
            raise ValueError(f"the sm2 scheduler takes no options (got {', '.join(sorted(options))})")
        return Sm2Scheduler()
    if name == "fsrs":
        unknown = set(options) - {"desired_retention", "learning_steps", "relearning_steps", "maximum_interval",
                                  "fuzz", "parameters"}
        if unknown:
            raise ValueError(f"unknown fsrs option(s): {', '.join(sorted(unknown))}")
        opts = dict(options)
        for key in ("learning_steps", "relearning_steps"):
            if key in opts:
                opts[key] = _steps(opts[key])
        return FsrsScheduler(**opts)
    raise ValueError(f"unknown scheduler {name!r}; known: sm2, fsrs")


def from_settings(settings: dict[str, Any]) -> Sm2Scheduler | FsrsScheduler:
    """The scheduler the learner's settings name (``scheduler``, and for FSRS
    ``desired_retention``, ``maximum_interval``, ``fsrs_learning_steps``,
    ``fsrs_relearning_steps`` in minutes, ``fsrs_fuzz``)."""
    if settings.get("scheduler", "sm2") != "fsrs":
        return Sm2Scheduler()
    return FsrsScheduler(
        desired_retention=float(settings.get("desired_retention", 0.9)),
        maximum_interval=int(settings.get("maximum_interval", 36500)),
        learning_steps=_steps(settings.get("fsrs_learning_steps", [1, 10])),
        relearning_steps=_steps(settings.get("fsrs_relearning_steps", [10])),
        fuzz=bool(settings.get("fsrs_fuzz", True)),
    )


# ---------------------------------------------------------------------------- evaluation
#
# How well each scheduler's predicted recall matches what the learner did, on their own log
# (``studyllm sched evaluate``). As srs-benchmark does: only a card's first answer of each UTC
# day is scored (same-day repeats are learning steps, not memory tests), recall = grade >= 3,
# and a time-series split: the answers are ordered in time and cut into ``folds + 1`` equal
# parts; the first part is never scored (it is the history the later parts are predicted
# from). SM-2's prediction is srs-benchmark's ``0.9 ** (elapsed / interval)``; FSRS's is the
# package's retrievability of the state held before the answer.

MIN_EVAL_REVIEWS = 100  # scored answers needed before `sched evaluate` reports figures


class Evaluation(NamedTuple):
    name: str
    reviews: int
    log_loss: float
    rmse_bins: float


def _log_loss(pairs: Sequence[tuple[float, int]]) -> float:
    import math

    eps = 1e-6
    total = 0.0
    for p, y in pairs:
        p = min(max(p, eps), 1 - eps)
        total -= y * math.log(p) + (1 - y) * math.log(1 - p)
    return total / len(pairs)


def _rmse_bins(pairs: Sequence[tuple[float, int]], bins: int = 20) -> float:
    """RMSE between mean predicted and observed recall per bin of predicted recall, bins weighted
    by their size (srs-benchmark bins by more features; this bins by the prediction alone)."""
    groups: dict[int, list[tuple[float, int]]] = {}
    for p, y in pairs:
        groups.setdefault(min(bins - 1, int(p * bins)), []).append((p, y))
    num = sum(len(g) * (sum(p for p, _ in g) / len(g) - sum(y for _, y in g) / len(g)) ** 2 for g in groups.values())
    return float((num / len(pairs)) ** 0.5)


def predictions(
    histories: dict[int, list[tuple[datetime, int]]], fsrs_options: dict[str, Any] | None = None
) -> list[tuple[datetime, float, float, int]]:
    """(instant, SM-2 prediction, FSRS prediction, recalled) for every scored answer."""
    sm2 = Sm2Scheduler()
    fs = FsrsScheduler(fuzz=False, **(fsrs_options or {}))
    out: list[tuple[datetime, float, float, int]] = []
    for events in histories.values():
        s2, sf = sm2.new_state(), fs.new_state()
        last_at: datetime | None = None
        last_day = None
        for at, grade in events:
            recalled = int(grade >= 3)
            if last_at is not None and at.date() != last_day and s2.interval > 0:
                elapsed = (at - last_at).total_seconds() / 86400
                p_fsrs = fs.retrievability(sf, at)
                if p_fsrs is not None:
                    out.append((at, 0.9 ** (elapsed / s2.interval), p_fsrs, recalled))
            if last_day is None or at.date() != last_day:
                s2 = review(s2, grade)  # SM-2 as srs-benchmark runs it: one answer per day
            sf, _ = fs.review(sf, grade, at)
            last_at, last_day = at, at.date()
    out.sort(key=lambda r: r[0])
    return out


def fit_available() -> bool:
    """Whether FSRS can be fitted here: the ``fsrs-fit`` extra (``fsrs[optimizer]``: torch,
    pandas, numpy, tqdm) is installed."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("torch", "pandas", "numpy", "tqdm"))


def fit_parameters(histories: dict[int, list[tuple[datetime, int]]], *, before: datetime | None = None) -> list[float]:
    """FSRS parameters fitted by the ``fsrs`` package's optimizer to the answers given before
    ``before`` (all when ``None``). Needs the ``fsrs-fit`` extra (ImportError without it)."""
    from fsrs import Optimizer, Rating, ReviewLog

    logs = [ReviewLog(card_id=cid, rating=Rating(fsrs_rating(g)), review_datetime=at, review_duration=None)
            for cid, events in histories.items() for at, g in events if before is None or at < before]
    return [float(w) for w in Optimizer(logs).compute_optimal_parameters()]


FITTED_NAME = "fsrs (fitted to your log)"


def evaluate(
    histories: dict[int, list[tuple[datetime, int]]], *, folds: int = 5, fitted: bool = False
) -> list[Evaluation] | int:
    """The scores of SM-2 and FSRS (default parameters) on the later parts of the time-series
    split, or the number of scored answers still needed (an int) when there are too few.

    With ``fitted`` (it needs the ``fsrs-fit`` extra, :func:`fit_available`) FSRS fitted to the
    learner's log is scored too, as srs-benchmark's time-series split does it: for each later
    part, the parameters are fitted to every answer given before that part begins, and the
    part is predicted with them (``folds`` fits)."""
    preds = predictions(histories)
    n = len(preds)
    bounds = [k * n // (folds + 1) for k in range(folds + 2)]
    test = preds[bounds[1]:]
    if len(test) < MIN_EVAL_REVIEWS:
        return MIN_EVAL_REVIEWS - len(test)
    out = []
    for name, pairs in (("sm2", [(r[1], r[3]) for r in test]),
                        ("fsrs (default parameters)", [(r[2], r[3]) for r in test])):
        out.append(Evaluation(name, len(pairs), _log_loss(pairs), _rmse_bins(pairs)))
    if fitted:
        fit_pairs: list[tuple[float, int]] = []
        for k in range(1, folds + 1):
            lo, hi = bounds[k], bounds[k + 1]
            if lo >= hi:
                continue
            params = fit_parameters(histories, before=preds[lo][0])
            part = predictions(histories, {"parameters": params})[lo:hi]
            fit_pairs += [(r[2], r[3]) for r in part]
        out.append(Evaluation(FITTED_NAME, len(fit_pairs), _log_loss(fit_pairs), _rmse_bins(fit_pairs)))
    return out
