"""Time for the state scripts: always the caller's clock, never Redis TIME.

Every operation takes `now` from an injected clock so tests can roll the day or
age a session without sleeping. Redis sees integer milliseconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

Clock = Callable[[], datetime]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, exactly (no float rounding); naive datetimes are refused."""
    if moment.tzinfo is None:
        raise ValueError("state times must be timezone-aware")
    return (moment - _EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    """The UTC datetime of an epoch-milliseconds value."""
    return _EPOCH + ms * _MS


def utc_day(moment: datetime) -> date:
    """The UTC calendar day that quotas count in."""
    return moment.astimezone(UTC).date()


def day_end(day: date) -> datetime:
    """When a UTC day ends and its quotas reset."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
