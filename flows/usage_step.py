"""Charging processed audio: the segmenter's high-water marks applied to the ledger.

The ledger's script is idempotent on the per-session high-water mark, so a
replay after a crash re-applies marks it has seen (a no-op) and never misses
one, and a mark stands for every mark below it: of a session's ticks waiting
together only the highest needs to go.

In the flow each worker's loop has one `ChargeQueue`: the ticks that wait for
the ledger go in one round trip, on a thread of the loop, so the round trip
holds up only the sessions' usage events, never the worker. When the ledger is
away (a Redis outage of any length) the ticks wait in the queue and the trips
are tried again with a backoff; they land, each session charged its highest
mark once, when it is back. Nothing stops the flow meanwhile: speech results go
on, and the waiting ticks are in the step's snapshots, so a restart during the
outage still charges them. A session's `ended` follows its last charge.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from flows.items import PathDone, UsageTick
from flows.metrics import METRICS
from wire.events import ResultEvent, event_id

log = logging.getLogger(__name__)

QUOTA_WARNING_SECONDS = 60.0
FIRST_RETRY_S = 0.2
MAX_RETRY_S = 5.0


@dataclass(frozen=True)
class UsageAnswer:
    """The ledger's authoritative numbers after a charge."""

    used_seconds: float
    remaining_seconds: float | None


class LedgerUnavailable(Exception):
    """The ledger could not be reached: the charges wait and are tried again."""


class UsageLedger(Protocol):
    """Applies sessions' processed-audio high-water marks to their users' usage."""

    def apply(self, ticks: Sequence[UsageTick]) -> list[UsageAnswer]:
        """Charge each the part of its mark not charged before; answer the totals, in order.

        Raises LedgerUnavailable when the ledger cannot be reached.
        """
        ...


class ChargeQueue:
    """A worker loop's ticks on their way to the ledger: sent together, retried in outages."""

    def __init__(self, ledger: UsageLedger) -> None:
        self._ledger = ledger
        self._waiting: list[tuple[UsageTick, asyncio.Future[UsageAnswer]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def charge(self, tick: UsageTick) -> UsageAnswer:
        """The ledger's answer for the tick, however long the ledger takes to be reachable."""
        future: asyncio.Future[UsageAnswer] = asyncio.get_running_loop().create_future()
        self._waiting.append((tick, future))
        METRICS.charges_waiting.inc()
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send())
        return await future

    async def _send(self) -> None:
        delay, down_since = FIRST_RETRY_S, 0.0
        while self._waiting:
            batch, self._waiting = self._waiting, []
            ticks = highest_per_session([tick for tick, _ in batch])
            try:
                answers = await asyncio.to_thread(self._ledger.apply, ticks)
            except LedgerUnavailable as exc:
                METRICS.ledger_failures.inc()
                if not down_since:
                    down_since = time.monotonic()
                    log.warning("usage ledger unreachable (%s): charges wait for it", exc)
                self._waiting = batch + self._waiting
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_S)
                continue
            except Exception as exc:  # a bug, not an outage: the step fails, the flow restarts
                for _, future in batch:
                    future.set_exception(exc)
                METRICS.charges_waiting.dec(len(batch))
                continue
            if down_since:
                away = time.monotonic() - down_since
                log.warning("usage ledger back after %.1f s: %d charges landed", away, len(ticks))
                delay, down_since = FIRST_RETRY_S, 0.0
            answer_of = {
                tick.settings.session_id: answer
                for tick, answer in zip(ticks, answers, strict=True)
            }
            for tick, future in batch:
                if not future.done():
                    future.set_result(answer_of[tick.settings.session_id])
            METRICS.charges_waiting.dec(len(batch))


def highest_per_session(ticks: Sequence[UsageTick]) -> list[UsageTick]:
    """Each session's highest marks (final if any of its ticks is), in first-seen order."""
    highest: dict[str, UsageTick] = {}
    for tick in ticks:
        sid = tick.settings.session_id
        seen = highest.get(sid)
        if seen is None:
            highest[sid] = tick
            continue
        top = tick if tick.processed_ms > seen.processed_ms else seen
        merged = dataclasses.replace(
            top,
            final=tick.final or seen.final,
            resent_ms=max(tick.resent_ms, seen.resent_ms),
        )
        highest[sid] = top if merged == top else merged
    return list(highest.values())


@dataclass
class UsageCharger:
    """The flow step: a tick in, its usage event (and quota warning) out once it is charged."""

    ledger: UsageLedger
    _queues: dict[asyncio.AbstractEventLoop, ChargeQueue] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def charge_one(self, tick: UsageTick) -> list[ResultEvent | PathDone]:
        """Charge the tick with the others of this worker's loop; describe it."""
        return describe(tick, await self._queue().charge(tick))

    def _queue(self) -> ChargeQueue:
        loop = asyncio.get_running_loop()
        with self._lock:
            queue = self._queues.get(loop)
            if queue is None:
                queue = self._queues[loop] = ChargeQueue(self.ledger)
        return queue


def describe(tick: UsageTick, answer: UsageAnswer) -> list[ResultEvent | PathDone]:
    """The usage event, a warning when little is left, and the path's end after the last tick.

    A user with nothing left is not told here: the ingress leases free audio
    before it publishes it, so it is the one that stops the stream (quota_exceeded,
    close 4029) once the lease runs dry, after the results of what was leased.
    """
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
    if remaining is not None and 0 < remaining <= QUOTA_WARNING_SECONDS:
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
