"""The SM-2 state machine (pure: no I/O).

This follows the reading of SM-2 fixed in the project's design note (``shared/design/ARCHITECTURE.md``,
outside the repository; the code's own map is ``docs/architecture.md``), so results are reproducible:

* quality ``q`` is an integer 0..5;
* ``EF' = EF + 0.1 - (5-q)(0.08 + 0.02(5-q))`` after every grade, failures included,
  with a floor of 1.3 and no ceiling; a new item starts at 2.5;
* ``q < 3`` sets repetitions to 0 and the interval to 1 day; otherwise repetitions
  grow by one and the interval is 1, then 6, then ``ceil(I(n-1) * EF)`` where EF is the
  easiness held *before* this grade's update.

Easiness only ever moves in hundredths, so it is kept internally as an integer number
of hundredths: no float drift however many reviews are applied. ``Sm2State.easiness``
is exposed as the float nearest to that exact value (``2.36``, not ``2.3599999``).

Same-day drills (items graded below 4 coming back in the session) do not go through
:func:`review`; the store handles them and leaves this state untouched.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Sm2State", "review", "validate_quality", "EF_START", "EF_FLOOR"]

EF_START = 2.5
EF_FLOOR = 1.3
_EF_FLOOR_CENTI = 130
# EF change per quality, in hundredths: 100*(0.1 - (5-q)(0.08 + 0.02(5-q)))
_EF_DELTA_CENTI = {q: 10 - (5 - q) * (8 + 2 * (5 - q)) for q in range(6)}


def validate_quality(quality: object) -> int:
    """Return ``quality`` as an int if it is a valid SM-2 grade, else raise ``ValueError``."""
    if isinstance(quality, bool) or not isinstance(quality, int):
        raise ValueError(f"SM-2 quality must be an integer from 0 to 5, got {quality!r} ({type(quality).__name__})")
    if not 0 <= quality <= 5:
        raise ValueError(f"SM-2 quality must be an integer from 0 to 5, got {quality}")
    return quality


def _to_centi(easiness: float) -> int:
    centi = round(easiness * 100)
    if abs(centi - easiness * 100) > 1e-6:
        raise ValueError(f"easiness must be a multiple of 0.01, got {easiness!r}")
    return centi


class _Sm2Fields(NamedTuple):
    repetitions: int = 0
    easiness: float = EF_START
    interval: int = 0


# A NamedTuple, not a dataclass: importing dataclasses (and the inspect, ast and dis it loads)
# is ~8 ms of the library's cold start, which loads nothing else that needs it (#14).
class Sm2State(_Sm2Fields):
    """Scheduling state of one item: repetitions, easiness factor (EF) and interval in days.
    Immutable; checked and normalised when made (``_replace`` and ``_make`` skip the checks)."""

    __slots__ = ()

    def __new__(cls, repetitions: int = 0, easiness: float = EF_START, interval: int = 0) -> Sm2State:
        if repetitions < 0:
            raise ValueError(f"repetitions must be >= 0, got {repetitions}")
        if interval < 0:
            raise ValueError(f"interval must be >= 0, got {interval}")
        centi = _to_centi(easiness)
        if centi < _EF_FLOOR_CENTI:
            raise ValueError(f"easiness must be >= {EF_FLOOR}, got {easiness}")
        # normalise to the float nearest the exact hundredths value
        return super().__new__(cls, repetitions, centi / 100, interval)

    @property
    def easiness_centi(self) -> int:
        """Easiness in exact hundredths (250 for 2.5)."""
        return round(self.easiness * 100)


# The longest interval, as Anki's default maximum (100 years). Without a bound, about 45 right
# answers in a row grow the interval past what a date (year 9999) or SQLite's integer holds,
# e.g. from a merged journal; no learner meets the cap, so the course's vectors are unchanged.
MAX_INTERVAL_DAYS = 36_500


def review(state: Sm2State, quality: int) -> Sm2State:
    """Apply one graded review and return the new state (``state`` is not changed)."""
    q = validate_quality(quality)
    ef_before = state.easiness_centi
    if q < 3:
        repetitions = 0
        interval = 1
    else:
        repetitions = state.repetitions + 1
        if repetitions == 1:
            interval = 1
        elif repetitions == 2:
            interval = 6
        else:
            # ceil(interval * EF) in exact integer arithmetic: EF = ef_before / 100
            interval = min(MAX_INTERVAL_DAYS, -(-state.interval * ef_before // 100))
    ef_after = max(_EF_FLOOR_CENTI, ef_before + _EF_DELTA_CENTI[q])
    return Sm2State(repetitions=repetitions, easiness=ef_after / 100, interval=interval)
