"""Per-user rate limits: at most `rate_limit_per_minute` requests in any sliding minute.

A scope may have a limit of its own (stream sockets: `ws_connects_per_minute`).

The window is a zset of accepted request times (`keys.rate_limit`), checked and
extended in one script, timed by the caller's clock. Refused requests are not
recorded, so a client that keeps retrying gets in as soon as `retry_after` says.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from settings import Settings
from state import keys
from state.clock import Clock, to_ms, utc_now
from state.scripts import Arg, LuaScript, ScriptCall

_LIMIT = LuaScript.load("rate_limit")


@dataclass(frozen=True)
class RateLimitDecision:
    """Whether a request may go ahead, and what is left of the window."""

    allowed: bool
    limit: int
    remaining: int
    retry_after_ms: int  # 0 when allowed

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds to wait, rounded up (what a Retry-After header carries)."""
        return -(-self.retry_after_ms // 1000)


class SlidingWindow:
    """At most `limit` events in any `window`, timed by `clock` (the caller's, not Redis's)."""

    def __init__(self, limit: int, setting: str, clock: Clock, window: timedelta) -> None:
        if limit < 1:
            raise ValueError(f"{setting} must be at least 1")
        self.limit = limit
        self.window_ms = window // timedelta(milliseconds=1)
        self.clock = clock


class RateLimits(SlidingWindow):
    """Sliding-window limits per user and scope. Methods return calls for a runner."""

    def __init__(
        self, cfg: Settings, clock: Clock = utc_now, window: timedelta = timedelta(minutes=1)
    ) -> None:
        super().__init__(cfg.rate_limit_per_minute, "RATE_LIMIT_PER_MINUTE", clock, window)

    def allow(
        self,
        user_id: str,
        scope: str = "api",
        *,
        now: datetime | None = None,
        limit: int | None = None,
    ) -> ScriptCall[RateLimitDecision]:
        """Count one request by the user in `scope` if the window (of `limit`) has room."""
        most = self.limit if limit is None else limit

        def parse(reply: list[int]) -> RateLimitDecision:
            allowed, remaining, retry_after_ms = reply
            return RateLimitDecision(bool(allowed), most, remaining, retry_after_ms)

        args: list[Arg] = [to_ms(now or self.clock()), self.window_ms, most, uuid.uuid4().hex]
        return ScriptCall(_LIMIT, [keys.rate_limit(user_id, scope)], args, parse)
