"""Charging processed audio exactly once, from the flow's own per-session totals.

The flow keeps, in its Bytewax state, each session's cumulative processed audio
in ms. That state and the Kafka offsets are snapshotted together, so after a
crash the flow resumes from a snapshot and processes the same audio again,
computing the same totals again. `apply_usage` sends the total, not an
increment: the usage ledger keeps the highest total seen for the session (its
high-water mark) and the script charges only the part above it, to the user's
day (`state.quotas`) and to the session record. A replayed, duplicated or
reordered total at or below the mark charges nothing, and a total the crash
interrupted is charged when the replay reaches it, so a session is charged
exactly its highest total.

The charge goes to the UTC day of `now`. The answer carries the day's
authoritative numbers; when `status.exceeded` turns true for a free user the
flow stops the stream with a `quota_exceeded` error.

Leases hold the limit to the frame. Before the ingress publishes a free
session's audio it leases it (`lease`, a few seconds ahead, so not a round trip
a frame): a lease is granted only while used + every session's lease stays
within the limit, however many sessions the user streams on. A charge takes
what it charges out of the session's lease, and the session's last charge
(`final`) gives the rest back. So what the flow charges was leased first, and
audio past the limit is never published, processed or charged. Audio a
reconnecting client sends again is leased again by its new socket, but the flow
processes it once: the charge gives that back to the lease from the flow's
running total of it (`resent_ms_total`, a mark like the charged one).

Reservations (`state.quotas`) are separate holds that this charge does not
touch; the ingress releases them with `settle` when a session ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from settings import Settings
from state import keys
from state.clock import Clock, from_ms, to_ms, utc_day, utc_now
from state.quotas import QuotaPolicy, QuotaStatus
from state.scripts import Arg, LuaScript, ScriptCall, fields

# A replay comes from the last snapshot (seconds to minutes back); a week is far
# beyond any replay, and each charge renews it.
LEDGER_TTL = timedelta(days=7)

_LEDGER_TTL_MS = LEDGER_TTL // timedelta(milliseconds=1)

_APPLY = LuaScript.load("usage_apply", "quota_lib")
_LEASE = LuaScript.load("usage_lease", "quota_lib")
_READ = LuaScript.load("read_hash")


@dataclass(frozen=True)
class UsageCharge:
    """The answer to `apply_usage`."""

    session_id: str
    charged_ms: int  # what this call added (0 for a replay)
    high_water_ms: int  # the session's charged total after this call
    status: QuotaStatus  # the user's day after this call

    @property
    def exceeded(self) -> bool:
        """The user has no quota left today: the flow ends the stream."""
        return self.status.exceeded


@dataclass(frozen=True)
class Lease:
    """The answer to `lease`."""

    session_id: str
    granted_ms: int  # what this call added to the lease (0: the day is used up; < 0: given back)
    lease_ms: int  # the session's lease after this call
    status: QuotaStatus  # the user's day after this call


@dataclass(frozen=True)
class LedgerEntry:
    """A session's line in the usage ledger."""

    session_id: str
    user_id: str
    processed_ms: int  # the high-water mark: everything charged for the session
    updated_at: datetime


class Usage:
    """The idempotent usage ledger. Methods return calls for a runner."""

    def __init__(self, cfg: Settings, clock: Clock = utc_now) -> None:
        self.policy = QuotaPolicy(cfg)
        self.clock = clock
        # A lease outlives a pause as long as the session itself does; the flow
        # ends an idle session (its final charge gives the lease back) by then.
        self.lease_ttl = timedelta(seconds=cfg.session_ttl_seconds)

    def apply_usage(
        self,
        session_id: str,
        user_id: str,
        tier: str,
        processed_ms_total: int,
        now: datetime | None = None,
        *,
        final: bool = False,
        resent_ms_total: int = 0,
    ) -> ScriptCall[UsageCharge]:
        """Charge whatever part of the session's cumulative total was not charged before.

        The charge comes out of the session's lease; `final` (the session's last
        charge) gives back what is left of it, and the growth of
        `resent_ms_total` (audio sent again and dropped: leased twice) goes back too.
        """
        if processed_ms_total < 0 or resent_ms_total < 0:
            raise ValueError("usage totals are cumulative and cannot be negative")
        now = now or self.clock()
        day = utc_day(now)

        def parse(reply: list[int]) -> UsageCharge:
            charged, high_water, used, reserved = reply
            status = self.policy.status(user_id, tier, day, used, reserved)
            return UsageCharge(session_id, charged, high_water, status)

        call_keys = [keys.usage_ledger(session_id), *self.policy.day_keys(user_id, day)]
        call_keys.append(keys.session(session_id))
        args: list[Arg] = [
            int(processed_ms_total),
            to_ms(now),
            user_id,
            self.policy.key_ttl_ms(now),
            _LEDGER_TTL_MS,
            day.isoformat(),
            session_id,
            to_ms(now + self.lease_ttl),
            int(final),
            int(resent_ms_total),
        ]
        return ScriptCall(_APPLY, call_keys, args, parse)

    def lease(
        self,
        session_id: str,
        user_id: str,
        tier: str,
        wanted_ms: int,
        now: datetime | None = None,
    ) -> ScriptCall[Lease]:
        """Lease the session up to `wanted_ms` more of today's quota (limited tiers only).

        A negative `wanted_ms` gives that much of the session's lease back.
        """
        if wanted_ms == 0:
            raise ValueError("a lease changes by more than 0 ms")
        now = now or self.clock()
        day, limit = utc_day(now), self.policy.limit_ms(tier)

        def parse(reply: list[int]) -> Lease:
            granted, lease, used, leased = reply
            status = self.policy.status(user_id, tier, day, used, leased)
            return Lease(session_id, granted, lease, status)

        if limit is None:
            raise ValueError(f"the {tier} tier has no daily limit to lease from")
        day_hash, _holds, leases = self.policy.day_keys(user_id, day)
        call_keys = [keys.usage_ledger(session_id), day_hash, leases]
        args: list[Arg] = [to_ms(now), int(wanted_ms), limit, day.isoformat(), session_id]
        args += [user_id, to_ms(now + self.lease_ttl), self.policy.key_ttl_ms(now)]
        args.append(_LEDGER_TTL_MS)
        return ScriptCall(_LEASE, call_keys, args, parse)

    def ledger(self, session_id: str) -> ScriptCall[LedgerEntry | None]:
        """The session's high-water mark, or None if nothing was charged (or it expired)."""

        def parse(reply: list[bytes | str]) -> LedgerEntry | None:
            entry = fields(reply)
            if "processed_ms" not in entry:  # nothing charged (at most leased)
                return None
            updated = from_ms(int(entry["updated_ms"]))
            return LedgerEntry(session_id, entry["user_id"], int(entry["processed_ms"]), updated)

        return ScriptCall(_READ, [keys.usage_ledger(session_id)], [], parse)
