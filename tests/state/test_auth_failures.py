from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import redis.asyncio

from settings import Settings
from state import keys
from state.auth_failures import AuthFailures
from state.scripts import AsyncScriptRunner
from tests.state.conftest import NOON, new_id

SECOND = timedelta(seconds=1)


async def test_an_address_is_refused_once_its_window_holds_the_limit(
    run: AsyncScriptRunner, state_cfg: Settings
) -> None:
    failures = AuthFailures(dataclasses.replace(state_cfg, auth_failures_per_minute=3))
    address = new_id("203.0.113")
    assert (await run(failures.check(address, now=NOON))).allowed
    decisions = [await run(failures.record(address, now=NOON + i * SECOND)) for i in range(3)]
    assert [(d.allowed, d.remaining) for d in decisions] == [(True, 2), (True, 1), (False, 0)]
    # Full until the oldest failure is a minute old.
    refused = await run(failures.check(address, now=NOON + 10 * SECOND))
    assert (refused.allowed, refused.retry_after_ms, refused.retry_after_seconds) == (
        False,
        50_000,
        50,
    )
    assert (await run(failures.check(address, now=NOON + 60 * SECOND))).allowed
    assert (await run(failures.check(new_id("198.51.100"), now=NOON))).allowed


async def test_a_flood_of_failures_keeps_only_the_limit(
    run: AsyncScriptRunner, aclient: redis.asyncio.Redis, state_cfg: Settings
) -> None:
    failures = AuthFailures(dataclasses.replace(state_cfg, auth_failures_per_minute=5))
    address = new_id("192.0.2")
    await asyncio.gather(*(run(failures.record(address, now=NOON)) for _ in range(50)))
    assert await aclient.zcard(keys.auth_failures(address)) == 5
    assert 0 < await aclient.pttl(keys.auth_failures(address)) <= 60_000
    refused = await run(failures.check(address, now=NOON + 30 * SECOND))
    assert (refused.allowed, refused.retry_after_ms) == (False, 30_000)
