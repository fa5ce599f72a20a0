"""Daily quotas: a free user may have `free_minutes_per_day` of audio processed per UTC day.

Design:

- Usage is charged in one place only, `state.usage.Usage.apply_usage`, which the
  flow calls with a session's cumulative processed audio (exactly once, see there).
- A reservation is a hold, not a charge. `check_and_reserve` grants only if
  used + held + requested <= limit, atomically in Lua, and records a hold that
  lapses by itself after `max_session_minutes`; `settle` releases it (twice is
  harmless). Concurrent requests can therefore never promise more than the day's
  limit, and an ingress that dies before settling blocks nobody for long.
- Redis holds integer milliseconds: minutes from clients are converted once, so
  no float drift accumulates.
- A day is a UTC calendar day of the caller's clock (never Redis TIME, so tests can
  roll the day). Keys are named by date and expire a day after their day ends: the
  midnight reset is simply a new key.
- A streaming free session leases audio ahead of publishing it (`state.usage`,
  `Usage.lease`): used + every session's lease never passes the limit, so audio
  past it is never published, processed or charged. Leases count as reserved.
- Premium users are never refused and hold nothing; their usage is still counted.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from settings import Settings
from state import keys
from state.clock import Clock, day_end, to_ms, utc_day, utc_now
from state.scripts import Arg, LuaScript, ScriptCall

PREMIUM = "premium"
# Yesterday's keys stay readable for a day: a reservation made before midnight is
# settled against the day it was made.
DAY_KEY_RETENTION = timedelta(days=1)


def has_quota(tier: str) -> bool:
    """Whether the tier has a daily limit to enforce (premium has none)."""
    return tier != PREMIUM


_RESERVE = LuaScript.load("quota_reserve", "quota_lib")
_SETTLE = LuaScript.load("quota_settle", "quota_lib")
_STATUS = LuaScript.load("quota_status", "quota_lib")


def minutes_to_ms(minutes: float) -> int:
    """Whole milliseconds of a non-negative, finite number of minutes."""
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"minutes must be a finite number >= 0, not {minutes!r}")
    return round(minutes * 60_000)


def hold_member(requested_ms: int, hold_id: str) -> str:
    """A hold in the day's holds zset: its amount first, which the Lua sums."""
    return f"{requested_ms}:{hold_id}"


@dataclass(frozen=True)
class QuotaStatus:
    """The authoritative numbers for one user and UTC day (all durations in ms)."""

    user_id: str
    tier: str
    day: date
    used_ms: int
    reserved_ms: int  # open reservations and streaming sessions' leases
    limit_ms: int | None  # None: unlimited (premium)

    @property
    def resets_at(self) -> datetime:
        """When this day's usage stops counting (midnight UTC)."""
        return day_end(self.day)

    @property
    def remaining_ms(self) -> int | None:
        """Audio the user may still have processed today; None when unlimited."""
        return None if self.limit_ms is None else max(self.limit_ms - self.used_ms, 0)

    @property
    def available_ms(self) -> int | None:
        """What a new reservation can still get: the remainder minus open holds."""
        if self.limit_ms is None:
            return None
        return max(self.limit_ms - self.used_ms - self.reserved_ms, 0)

    @property
    def exceeded(self) -> bool:
        """True once a limited user has used the whole day's quota."""
        return self.limit_ms is not None and self.used_ms >= self.limit_ms


@dataclass(frozen=True)
class Reservation:
    """The answer to `check_and_reserve`; keep it to settle later."""

    granted: bool
    hold_id: str
    requested_ms: int
    status: QuotaStatus

    @property
    def hold_member(self) -> str:
        """The hold's member in the day's holds zset."""
        return hold_member(self.requested_ms, self.hold_id)


@dataclass(frozen=True)
class Settlement:
    """What `settle` gave back."""

    released_ms: int  # the hold released now (0 if already settled, lapsed, or never held)
    unused_ms: int  # the part of the released hold the caller says it did not use
    status: QuotaStatus


@dataclass(frozen=True)
class UsageSync:
    """The server's numbers next to what the client believed (the server wins)."""

    status: QuotaStatus
    client_ms: int

    @property
    def drift_ms(self) -> int:
        """How far the client's count is ahead of the server's (negative: behind)."""
        return self.client_ms - self.status.used_ms


class QuotaPolicy:
    """Limits by tier, day keys and the status record: shared by quotas and usage."""

    def __init__(self, cfg: Settings) -> None:
        self.free_limit_ms = minutes_to_ms(cfg.free_minutes_per_day)

    def limit_ms(self, tier: str) -> int | None:
        """The day's limit for a tier; None for premium."""
        return self.free_limit_ms if has_quota(tier) else None

    def day_keys(self, user_id: str, day: date) -> list[str]:
        """The day hash, the holds zset and the leases zset, in the order the scripts take them."""
        return [
            keys.quota_day(user_id, day),
            keys.quota_holds(user_id, day),
            keys.quota_leases(user_id, day),
        ]

    def key_ttl_ms(self, now: datetime) -> int:
        """How long a key of today's date must live from `now`."""
        return to_ms(day_end(utc_day(now)) + DAY_KEY_RETENTION) - to_ms(now)

    def status(
        self, user_id: str, tier: str, day: date, used_ms: int, reserved_ms: int
    ) -> QuotaStatus:
        """The status record from a script's used and reserved counts."""
        return QuotaStatus(user_id, tier, day, used_ms, reserved_ms, self.limit_ms(tier))


class Quotas:
    """Reserve, settle and read a user's daily quota. Methods return calls for a runner."""

    def __init__(self, cfg: Settings, clock: Clock = utc_now) -> None:
        self.policy = QuotaPolicy(cfg)
        self.clock = clock
        self.hold_ms = cfg.max_session_minutes * 60_000

    def check_and_reserve(
        self, user_id: str, minutes: float, *, tier: str = "free", now: datetime | None = None
    ) -> ScriptCall[Reservation]:
        """Atomically hold `minutes` of today's quota if used + held + minutes fits the limit."""
        now = now or self.clock()
        day, requested = utc_day(now), minutes_to_ms(minutes)
        if requested <= 0:
            raise ValueError("a reservation must be for more than 0 ms")
        hold_id, limit = uuid.uuid4().hex, self.policy.limit_ms(tier)
        now_ms = to_ms(now)

        def parse(reply: list[int]) -> Reservation:
            granted, used, reserved = reply
            status = self.policy.status(user_id, tier, day, used, reserved)
            return Reservation(bool(granted), hold_id, requested, status)

        member = hold_member(requested, hold_id)
        args: list[Arg] = [now_ms, requested, -1 if limit is None else limit, member]
        args += [now_ms + self.hold_ms, self.policy.key_ttl_ms(now)]
        return ScriptCall(_RESERVE, self.policy.day_keys(user_id, day), args, parse)

    def settle(
        self, reservation: Reservation, actual_minutes: float, *, now: datetime | None = None
    ) -> ScriptCall[Settlement]:
        """Release a reservation. The audio itself was charged by `apply_usage`, never here."""
        status, actual = reservation.status, minutes_to_ms(actual_minutes)

        def parse(reply: list[int]) -> Settlement:
            released, used, reserved = reply
            released_ms = reservation.requested_ms if released else 0
            after = self.policy.status(status.user_id, status.tier, status.day, used, reserved)
            return Settlement(released_ms, max(released_ms - actual, 0), after)

        now_ms = to_ms(now or self.clock())
        day_keys = self.policy.day_keys(status.user_id, status.day)
        return ScriptCall(_SETTLE, day_keys, [now_ms, reservation.hold_member], parse)

    def get_usage(
        self, user_id: str, *, tier: str = "free", now: datetime | None = None
    ) -> ScriptCall[QuotaStatus]:
        """Today's authoritative numbers for the user."""
        now = now or self.clock()
        day = utc_day(now)

        def parse(reply: list[int]) -> QuotaStatus:
            return self.policy.status(user_id, tier, day, *reply)

        return ScriptCall(_STATUS, self.policy.day_keys(user_id, day), [to_ms(now)], parse)

    def sync_usage(
        self,
        user_id: str,
        client_minutes: float,
        *,
        tier: str = "free",
        now: datetime | None = None,
    ) -> ScriptCall[UsageSync]:
        """Answer a client's own count with the server's; the client's number changes nothing."""
        client_ms = minutes_to_ms(client_minutes)
        return self.get_usage(user_id, tier=tier, now=now).then(
            lambda status: UsageSync(status, client_ms)
        )
