"""The flow's usage ledger: `state.usage` scripts run with a synchronous Redis client."""

from __future__ import annotations

from collections.abc import Sequence

import redis

import settings
from flows.items import UsageTick
from flows.usage_step import LedgerUnavailable, UsageAnswer
from state.scripts import ScriptRunner
from state.usage import Usage

# A Redis that is away answers (or fails to) within this: the charges wait in the
# flow's queue meanwhile, not in a socket.
REDIS_TIMEOUT_S = 5.0


class RedisUsageLedger:
    """Charges sessions' high-water marks through `usage_apply.lua` (idempotent)."""

    def __init__(self, client: redis.Redis, usage: Usage) -> None:
        self._run = ScriptRunner(client)
        self._usage = usage

    @classmethod
    def from_settings(cls, cfg: settings.Settings) -> RedisUsageLedger:
        """A ledger on the configured Redis."""
        client = redis.Redis.from_url(
            cfg.redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
        return cls(client, Usage(cfg))

    def apply(self, ticks: Sequence[UsageTick]) -> list[UsageAnswer]:
        """Charge each session what is above its mark (one round trip); answer the users' days."""
        calls = [
            self._usage.apply_usage(
                t.settings.session_id,
                t.settings.user_id,
                t.settings.tier,
                t.processed_ms,
                final=t.final,
                resent_ms_total=t.resent_ms,
            )
            for t in ticks
        ]
        try:
            charges = self._run.run_many(calls)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise LedgerUnavailable(str(exc) or type(exc).__name__) from exc
        answers = []
        for charge in charges:
            remaining = charge.status.remaining_ms
            answers.append(
                UsageAnswer(
                    used_seconds=charge.status.used_ms / 1000.0,
                    remaining_seconds=None if remaining is None else remaining / 1000.0,
                )
            )
        return answers
