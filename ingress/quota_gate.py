"""A free session's audio, leased from its user's day before it is published.

The flow charges what it processes, but by then the audio has been processed:
holding the day's limit to the frame has to happen before the audio topic. Each
socket of a free session leases QUOTA_LEASE_SECONDS of its user's day at a time
(`state.usage.Usage.lease`, atomic across every session of the user, on any
ingress) and publishes only leased audio. The next lease is asked for while
half of the current one is left, so frames do not wait for Redis; premium
sessions have no limit and no gate.

When the day runs out, the frame that crosses the limit is cut at it and is
the stream's last: what was leased is exactly what the flow processes and
charges, however many sessions share the day.

While Redis is away, a socket that was streaming may go on for
QUOTA_OUTAGE_GRACE_SECONDS beyond its lease (once an outage: a lease that
succeeds again ends it). That audio is processed, and charged when Redis is
back, so an outage can take a free user's day past its limit by at most the
grace on each streaming session. Past the grace, `StateUnavailable`: the
socket closes 1013 and the client reconnects once Redis answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ingress.ws_messages import BYTES_PER_MS
from state.scripts import ScriptCall
from state.usage import Lease, Usage
from wire.audio import BYTES_PER_SAMPLE, SessionSettings

log = logging.getLogger(__name__)

# After a failed lease, asking ahead again waits this long (a frame may still wait for one).
ASK_AHEAD_PAUSE_S = 1.0


class StateUnavailable(Exception):
    """Redis is away and the session's outage grace is used up."""


class QuotaGate:
    """One socket's leased audio: `admit` each frame before publishing it."""

    def __init__(
        self,
        run: Callable[[ScriptCall[Lease]], Awaitable[Lease]],
        usage: Usage,
        settings: SessionSettings,
        lease_seconds: float,
        grace_seconds: float,
    ) -> None:
        self._run = run
        self._usage = usage
        self._settings = settings
        self._lease_ms = max(round(lease_seconds * 1000), 1)
        self._grace_bytes = round(grace_seconds * 1000) * BYTES_PER_MS
        self._credit = 0  # leased bytes not published yet
        self._grace = 0  # bytes allowed beyond the lease while Redis is away
        self._graced = False  # the grace of this outage was given
        self._asking: asyncio.Task[None] | None = None
        self._failed_at = 0.0
        self._dry = False  # the last lease got nothing: the day is used up
        self.spent = False  # a frame was cut at the limit: no audio after it

    async def admit(self, pcm: bytes) -> bytes:
        """The part of the frame that may be published: all of it, or what the day still holds.

        Raises StateUnavailable when Redis is away and the grace is used up.
        """
        if self.spent:
            return b""
        while self._credit + self._grace < len(pcm) and not self._dry:
            await self._lease(foreground=True)
        allowed = min(len(pcm), self._credit + self._grace)
        allowed -= allowed % BYTES_PER_SAMPLE
        from_credit = min(allowed, self._credit)
        self._credit -= from_credit
        self._grace -= allowed - from_credit
        if allowed < len(pcm):
            self.spent = True
        elif self._credit < self._lease_ms * BYTES_PER_MS // 2:
            self._ask_ahead()
        return pcm[:allowed]

    def _ask_ahead(self) -> None:
        if self._dry or (self._asking is not None and not self._asking.done()):
            return
        if time.monotonic() - self._failed_at < ASK_AHEAD_PAUSE_S:
            return
        self._asking = asyncio.create_task(self._lease(foreground=False))

    async def _lease(self, foreground: bool) -> None:
        if self._asking is not None and not self._asking.done() and foreground:
            await asyncio.shield(self._asking)  # the lease asked ahead is on its way
            return
        s = self._settings
        try:
            lease = await self._run(
                self._usage.lease(s.session_id, s.user_id, s.tier, self._lease_ms)
            )
        except (RedisConnectionError, RedisTimeoutError) as exc:
            self._failed_at = time.monotonic()
            if not self._graced:
                self._graced = True
                self._grace += self._grace_bytes
                log.warning(
                    "session %s: Redis unavailable (%s); streaming on %d ms of grace",
                    s.session_id,
                    exc,
                    self._grace_bytes // BYTES_PER_MS,
                )
            elif foreground:
                raise StateUnavailable(str(exc)) from exc
            return
        if self._graced:  # Redis is back: no more audio on credit it did not grant
            self._graced, self._grace = False, 0
        self._credit += lease.granted_ms * BYTES_PER_MS
        self._dry = lease.granted_ms == 0

    async def close(self) -> None:
        """The socket closed: stop asking ahead, give back what it will not send."""
        if self._asking is not None and not self._asking.done():
            self._asking.cancel()
            await asyncio.gather(self._asking, return_exceptions=True)
        unsent_ms, self._credit = self._credit // BYTES_PER_MS, 0
        if unsent_ms > 0:
            s = self._settings
            call = self._usage.lease(s.session_id, s.user_id, s.tier, -unsent_ms)
            with contextlib.suppress(RedisConnectionError, RedisTimeoutError):
                await self._run(call)  # else it lapses with the session
