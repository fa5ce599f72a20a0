"""Charging processed audio: the segmenter's high-water marks applied to the ledger.

The ledger's script is idempotent on the per-session high-water mark, so a
replay after a crash re-applies marks it has seen (a no-op) and never misses
one. If the ledger is unreachable the step retries, then raises: the flow
restarts from its last snapshot and the replay charges what was missed.

In the flow each tick is charged on a thread of the worker's loop
(`charge_one`): the Redis round trip, and any retrying, holds up only that
session's usage events, not every event behind it on the worker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from flows.items import PathDone, UsageTick
from wire.audio import SessionSettings
from wire.errors import ErrorCode
from wire.events import ResultEvent, error_event, event_id

log = logging.getLogger(__name__)

QUOTA_WARNING_SECONDS = 60.0


@dataclass(frozen=True)
class UsageAnswer:
    """The ledger's authoritative numbers after a charge."""

    used_seconds: float
    remaining_seconds: float | None
    exceeded: bool


class UsageLedger(Protocol):
    """Applies sessions' processed-audio high-water marks to their users' usage."""

    def apply(self, ticks: Sequence[tuple[SessionSettings, int]]) -> list[UsageAnswer]:
        """Charge each the part of its mark not charged before; answer the totals, in order."""
        ...


@dataclass
class UsageCharger:
    """The flow step: a batch of ticks in, their usage events (and quota signals) out."""

    ledger: UsageLedger
    retry_for_s: float = 30.0

    async def charge_one(self, tick: UsageTick) -> list[ResultEvent | PathDone]:
        """`charge` on a thread: the worker goes on while the ledger answers (or retries)."""
        return await asyncio.to_thread(self.charge, [tick])

    def charge(self, ticks: list[UsageTick]) -> list[ResultEvent | PathDone]:
        """Apply a batch of ticks in one go (retrying through a ledger outage), describe each."""
        if not ticks:
            return []
        answers = self._apply_with_retry(ticks)
        out: list[ResultEvent | PathDone] = []
        for tick, answer in zip(ticks, answers, strict=True):
            out += self._describe(tick, answer)
        return out

    def _describe(self, tick: UsageTick, answer: UsageAnswer) -> list[ResultEvent | PathDone]:
        sid = tick.settings.session_id
        out: list[ResultEvent | PathDone] = [
            ResultEvent(
                type="usage",
                id=event_id(sid, -1, "usage", "final" if tick.final else tick.processed_ms),
                session_id=sid,
                seconds=tick.processed_ms / 1000.0,
                remaining_seconds=answer.remaining_seconds,
                extra={"used_seconds_today": round(answer.used_seconds, 3)},
            )
        ]
        remaining = answer.remaining_seconds
        if answer.exceeded:
            out.append(
                error_event(
                    sid, ErrorCode.QUOTA_EXCEEDED, "daily free minutes used up", part="quota"
                )
            )
        elif remaining is not None and remaining <= QUOTA_WARNING_SECONDS:
            out.append(
                ResultEvent(
                    type="status",
                    id=event_id(sid, -1, "status-quota_warning"),
                    session_id=sid,
                    status="quota_warning",
                    remaining_seconds=remaining,
                )
            )
        if tick.final:
            out.append(PathDone(tick.settings, "usage"))
        return out

    def _apply_with_retry(self, ticks: list[UsageTick]) -> list[UsageAnswer]:
        deadline = time.monotonic() + self.retry_for_s
        delay = 0.2
        batch = [(tick.settings, tick.processed_ms) for tick in ticks]
        while True:
            try:
                return self.ledger.apply(batch)
            except Exception:
                if time.monotonic() > deadline:
                    raise
                log.warning("usage ledger unreachable; retrying in %.1fs", delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
