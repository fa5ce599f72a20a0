"""The flow's usage ledger: `state.usage` scripts run with a synchronous Redis client."""

from __future__ import annotations

from collections.abc import Sequence

import redis

import settings
from flows.usage_step import UsageAnswer
from state.scripts import ScriptRunner
from state.usage import Usage
from wire.audio import SessionSettings


class RedisUsageLedger:
    """Charges sessions' high-water marks through `usage_apply.lua` (idempotent)."""

    def __init__(self, client: redis.Redis, usage: Usage) -> None:
        self._run = ScriptRunner(client)
        self._usage = usage

    @classmethod
    def from_settings(cls, cfg: settings.Settings) -> RedisUsageLedger:
        """A ledger on the configured Redis."""
        client = redis.Redis.from_url(cfg.redis_url, socket_timeout=5, socket_connect_timeout=5)
        return cls(client, Usage(cfg))

    def apply(self, ticks: Sequence[tuple[SessionSettings, int]]) -> list[UsageAnswer]:
        """Charge each session what is above its mark (one round trip); answer the users' days."""
        charges = self._run.run_many(
            [
                self._usage.apply_usage(s.session_id, s.user_id, s.tier, processed_ms)
                for s, processed_ms in ticks
            ]
        )
        answers = []
        for charge in charges:
            remaining = charge.status.remaining_ms
            answers.append(
                UsageAnswer(
                    used_seconds=charge.status.used_ms / 1000.0,
                    remaining_seconds=None if remaining is None else remaining / 1000.0,
                    exceeded=charge.exceeded,
                )
            )
        return answers
