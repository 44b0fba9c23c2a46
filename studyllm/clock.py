"""Time: the study day with a rollover hour, and an injectable clock (pure).

Instants are stored in UTC. "Today" is the *local* calendar date shifted back by the
rollover hour (default 4 am, like Anki): a review at 01:30 on Tuesday still counts
for Monday's study day. Due dates are calendar days (``datetime.date``).
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Clock", "SystemClock", "FrozenClock", "study_day", "local_zone", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_zone() -> tzinfo:
    """The machine's local zone: ``$TZ`` when it names an IANA zone, else the C library's."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    tz = datetime.now().astimezone().tzinfo
    return tz if tz is not None else UTC


def study_day(instant: datetime, zone: tzinfo, rollover_hour: int = 4) -> date:
    """The study day an instant belongs to, in ``zone``, with the day starting at ``rollover_hour``.

    The shift is done on the local wall-clock time, so DST days (23 or 25 hours long)
    still start at the rollover hour.
    """
    if instant.tzinfo is None:
        raise ValueError("study_day needs an aware datetime (UTC instant)")
    if not 0 <= rollover_hour <= 23:
        raise ValueError(f"rollover hour must be 0..23, got {rollover_hour}")
    local = instant.astimezone(zone)
    if local.hour < rollover_hour:
        return local.date() - timedelta(days=1)
    return local.date()


class Clock:
    """Source of the current instant and local zone. Tests inject a :class:`FrozenClock`."""

    def now(self) -> datetime:  # pragma: no cover - interface
        raise NotImplementedError

    def zone(self) -> tzinfo:  # pragma: no cover - interface
        raise NotImplementedError


class SystemClock(Clock):
    def now(self) -> datetime:
        return utc_now()

    def zone(self) -> tzinfo:
        return local_zone()


class FrozenClock(Clock):
    """A clock that only moves when told to (tests, benchmarks, simulations)."""

    def __init__(self, instant: datetime, zone: tzinfo | str = "UTC"):
        if instant.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = instant.astimezone(UTC)
        self._zone = ZoneInfo(zone) if isinstance(zone, str) else zone

    def now(self) -> datetime:
        return self._now

    def zone(self) -> tzinfo:
        return self._zone

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)

    def set_zone(self, zone: tzinfo | str) -> None:
        self._zone = ZoneInfo(zone) if isinstance(zone, str) else zone

    def advance(self, **kwargs: float) -> None:
        self._now = self._now + timedelta(**kwargs)
