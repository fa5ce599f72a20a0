"""Failed authentications per client address: at most `auth_failures_per_minute` in any minute.

Unlike request limits, a failure is recorded after the fact (`record`): the token
was already refused. While an address's window is full, `check` refuses its
authentications before any token is verified, valid or not, so guessing gets
no answer until `retry_after`. Both are scripts on one zset of failure times
(`keys.auth_failures`), kept to the newest `limit` entries.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from settings import Settings
from state import keys
from state.clock import Clock, to_ms, utc_now
from state.rate_limits import RateLimitDecision, SlidingWindow
from state.scripts import Arg, LuaScript, ScriptCall

_FULL = LuaScript.load("window_full")
_RECORD = LuaScript.load("window_record")


class AuthFailures(SlidingWindow):
    """Sliding-window counts of failed authentications. Methods return calls for a runner."""

    def __init__(
        self, cfg: Settings, clock: Clock = utc_now, window: timedelta = timedelta(minutes=1)
    ) -> None:
        super().__init__(cfg.auth_failures_per_minute, "AUTH_FAILURES_PER_MINUTE", clock, window)

    def _parse(self, reply: list[int]) -> RateLimitDecision:
        full, count, retry_after_ms = reply
        return RateLimitDecision(not full, self.limit, max(self.limit - count, 0), retry_after_ms)

    def check(self, address: str, *, now: datetime | None = None) -> ScriptCall[RateLimitDecision]:
        """Whether the address may try to authenticate now (records nothing)."""
        args: list[Arg] = [to_ms(now or self.clock()), self.window_ms, self.limit]
        return ScriptCall(_FULL, [keys.auth_failures(address)], args, self._parse)

    def record(self, address: str, *, now: datetime | None = None) -> ScriptCall[RateLimitDecision]:
        """Count one failure; the decision says whether the address may try again now."""
        args: list[Arg] = [
            to_ms(now or self.clock()),
            self.window_ms,
            self.limit,
            uuid.uuid4().hex,
        ]
        return ScriptCall(_RECORD, [keys.auth_failures(address)], args, self._parse)
