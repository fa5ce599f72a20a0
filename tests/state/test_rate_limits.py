from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from settings import Settings
from state.rate_limits import RateLimitDecision, RateLimits
from state.scripts import AsyncScriptRunner, ScriptRunner
from tests.state.conftest import NOON, new_id

SECOND = timedelta(seconds=1)


async def test_ten_a_minute_then_retry_after_the_oldest_leaves(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    limits = RateLimits(state_cfg)
    accepted = [await run(limits.allow(user, now=NOON + i * SECOND)) for i in range(10)]
    assert [d.remaining for d in accepted] == list(range(9, -1, -1))
    assert all(d.allowed and d.retry_after_ms == 0 for d in accepted)

    refused = await run(limits.allow(user, now=NOON + 30.5 * SECOND))
    assert refused == RateLimitDecision(False, 10, 0, 29_500)
    assert refused.retry_after_seconds == 30
    # Refusals are not recorded: the first accepted request still frees the first slot.
    assert not (await run(limits.allow(user, now=NOON + timedelta(milliseconds=59_999)))).allowed
    again = await run(limits.allow(user, now=NOON + 60 * SECOND))
    assert (again.allowed, again.remaining) == (True, 0)
    assert (await run(limits.allow(user, now=NOON + 60.5 * SECOND))).retry_after_ms == 500


async def test_users_and_scopes_have_their_own_windows(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    limits = RateLimits(dataclasses.replace(state_cfg, rate_limit_per_minute=1))
    assert (await run(limits.allow(user, now=NOON))).allowed
    assert not (await run(limits.allow(user, now=NOON))).allowed
    assert (await run(limits.allow(user, "sessions", now=NOON))).allowed
    assert (await run(limits.allow(new_id("user"), now=NOON))).allowed


async def test_concurrent_requests_get_exactly_the_limit(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    limits = RateLimits(state_cfg)
    decisions = await asyncio.gather(*(run(limits.allow(user, now=NOON)) for _ in range(50)))
    assert sum(d.allowed for d in decisions) == 10
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(10))


def test_the_sync_runner_limits_too(run_sync: ScriptRunner, state_cfg: Settings, user: str) -> None:
    limits = RateLimits(state_cfg, window=timedelta(seconds=2))
    decisions = [run_sync(limits.allow(user, now=NOON)) for _ in range(11)]
    assert [d.allowed for d in decisions] == [True] * 10 + [False]
    assert decisions[-1].retry_after_ms == 2_000


def test_a_limit_below_one_is_a_configuration_error(state_cfg: Settings) -> None:
    with pytest.raises(ValueError):
        RateLimits(dataclasses.replace(state_cfg, rate_limit_per_minute=0))


async def test_a_scope_may_have_its_own_limit(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    limits = RateLimits(state_cfg)
    decisions = [await run(limits.allow(user, "ws", now=NOON, limit=2)) for _ in range(3)]
    assert [(d.allowed, d.limit) for d in decisions] == [(True, 2), (True, 2), (False, 2)]
    assert (await run(limits.allow(user, now=NOON))).limit == 10
