"""The flow's usage ledger: `state.usage` scripts run with a synchronous Redis client."""

from __future__ import annotations

import redis

import settings
from flows.usage_step import UsageAnswer
from state.scripts import ScriptRunner
from state.usage import Usage
from wire.audio import SessionSettings


class RedisUsageLedger:
    """Charges a session's high-water mark through `usage_apply.lua` (idempotent)."""

    def __init__(self, client: redis.Redis, usage: Usage) -> None:
        self._run = ScriptRunner(client)
        self._usage = usage

    @classmethod
    def from_settings(cls, cfg: settings.Settings) -> RedisUsageLedger:
        """A ledger on the configured Redis."""
        client = redis.Redis.from_url(cfg.redis_url, socket_timeout=5, socket_connect_timeout=5)
        return cls(client, Usage(cfg))

    def apply(self, settings: SessionSettings, processed_ms: int) -> UsageAnswer:
        """Charge what is above the session's mark; answer the user's day."""
        charge = self._run(
            self._usage.apply_usage(
                settings.session_id, settings.user_id, settings.tier, processed_ms
            )
        )
        status = charge.status
        remaining = status.remaining_ms
        return UsageAnswer(
            used_seconds=status.used_ms / 1000.0,
            remaining_seconds=None if remaining is None else remaining / 1000.0,
            exceeded=charge.exceeded,
        )
