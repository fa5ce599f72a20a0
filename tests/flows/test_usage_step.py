"""Usage charges through a Redis outage: they wait, and land once each when Redis is back."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from pathlib import Path

import redis

import settings
from flows.items import UsageTick
from flows.usage_ledger import RedisUsageLedger
from flows.usage_step import ChargeQueue, UsageCharger, highest_per_session
from state.quotas import Quotas
from state.scripts import ScriptRunner
from state.usage import Usage
from tests.support.own_redis import own_redis
from wire.audio import SessionSettings


def _settings(user: str, tier: str = "free") -> SessionSettings:
    return SessionSettings(session_id=f"s-{uuid.uuid4().hex[:8]}", user_id=user, tier=tier)


def test_a_sessions_highest_mark_stands_for_its_lower_ones() -> None:
    a, b = _settings("u"), _settings("u")
    ticks = [UsageTick(a, 1000), UsageTick(b, 500), UsageTick(a, 3000), UsageTick(a, 2000)]
    ticks.append(UsageTick(b, 900, final=True))
    assert highest_per_session(ticks) == [UsageTick(a, 3000), UsageTick(b, 900, final=True)]
    # A final tick makes the highest final even when it came first.
    late = [UsageTick(a, 3000, final=True), UsageTick(a, 3000)]
    assert highest_per_session(late) == [UsageTick(a, 3000, final=True)]
    # Audio sent again is a mark of its own: the highest of each goes.
    resent = [UsageTick(a, 1000, resent_ms=700), UsageTick(a, 2000), UsageTick(a, 1500)]
    assert highest_per_session(resent) == [UsageTick(a, 2000, resent_ms=700)]


async def test_charges_wait_through_an_outage_and_land_once_each(tmp_path: Path) -> None:
    with own_redis(tmp_path) as server:
        cfg = dataclasses.replace(settings.load(), redis_url=server.url)
        user = f"u-{uuid.uuid4().hex[:8]}"
        first, second = _settings(user), _settings(user)
        charger = UsageCharger(RedisUsageLedger.from_settings(cfg))
        before = await charger.charge_one(UsageTick(first, 1000))
        assert before[0].seconds == 1.0

        server.stop()
        waiting = [
            asyncio.create_task(charger.charge_one(tick))
            for tick in (
                UsageTick(first, 2000),
                UsageTick(second, 1500),
                UsageTick(first, 3000, final=True),
                UsageTick(second, 2500, final=True),
            )
        ]
        await asyncio.sleep(3)  # several failed round trips
        assert not any(task.done() for task in waiting)
        server.start()
        described = await asyncio.wait_for(asyncio.gather(*waiting), 30)

        run = ScriptRunner(redis.Redis.from_url(server.url))
        assert run(Quotas(cfg).get_usage(user)).used_ms == 3000 + 2500
        for session, total in ((first, 3000), (second, 2500)):
            entry = run(Usage(cfg).ledger(session.session_id))
            assert entry is not None and entry.processed_ms == total
        # Each tick still gets its own usage event; the final ones end their path.
        assert [out[0].seconds for out in described] == [2.0, 1.5, 3.0, 2.5]
        assert [len(out) for out in described][2:] == [2, 2]


async def test_one_round_trip_carries_every_waiting_tick(tmp_path: Path) -> None:
    with own_redis(tmp_path) as server:
        cfg = dataclasses.replace(settings.load(), redis_url=server.url)
        ledger = RedisUsageLedger.from_settings(cfg)
        trips: list[int] = []
        apply = ledger.apply

        def counted(ticks):  # type: ignore[no-untyped-def]
            trips.append(len(ticks))
            return apply(ticks)

        ledger.apply = counted  # type: ignore[method-assign]
        queue = ChargeQueue(ledger)
        sessions = [_settings("u-" + uuid.uuid4().hex[:6], "premium") for _ in range(20)]
        await asyncio.gather(*(queue.charge(UsageTick(s, 10_000)) for s in sessions))
        assert sum(trips) == 20 and len(trips) <= 2
