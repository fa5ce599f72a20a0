"""Audio flood protection per user: at most WS_FLOOD_FACTOR x real time, sustained.

A token bucket of audio milliseconds per user. Each of the user's open streams
on this process adds FACTOR x 1000 ms of audio per second to the refill rate
and WS_FLOOD_BURST_SECONDS to the capacity (network jitter and a reconnect's
backlog arrive in bursts). A bucket outlives its streams until it has refilled,
so reconnecting does not buy a fresh burst. A stream whose frame does not fit
is closed with `rate_limited`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens_ms: float
    updated: float
    streams: int = 0


class FloodGuard:
    """Admits audio frames per user at a sustained rate with bursts."""

    def __init__(
        self, factor: float, burst_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate_ms_per_s = factor * 1000.0
        self.burst_ms = burst_seconds * 1000.0
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def open(self, user_id: str) -> None:
        """A stream of the user starts here."""
        self._forget_refilled()
        bucket = self._buckets.setdefault(user_id, _Bucket(self.burst_ms, self._clock()))
        self._refill(bucket)
        bucket.streams += 1

    def close(self, user_id: str) -> None:
        """A stream of the user ended."""
        bucket = self._buckets.get(user_id)
        if bucket is not None:
            self._refill(bucket)
            bucket.streams = max(bucket.streams - 1, 0)

    def allow(self, user_id: str, audio_ms: float) -> bool:
        """Take `audio_ms` from the user's allowance if it is there."""
        bucket = self._buckets.get(user_id)
        if bucket is None or bucket.streams == 0:
            return False
        self._refill(bucket)
        if bucket.tokens_ms < audio_ms:
            return False
        bucket.tokens_ms -= audio_ms
        return True

    def _refill(self, bucket: _Bucket) -> None:
        now, scale = self._clock(), max(bucket.streams, 1)
        earned = (now - bucket.updated) * self.rate_ms_per_s * scale
        bucket.tokens_ms = min(self.burst_ms * scale, bucket.tokens_ms + earned)
        bucket.updated = now

    def _forget_refilled(self) -> None:
        # A bucket without streams that has refilled is the same as no bucket.
        for user_id, bucket in list(self._buckets.items()):
            if bucket.streams == 0:
                self._refill(bucket)
                if bucket.tokens_ms >= self.burst_ms:
                    del self._buckets[user_id]
