from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
import redis.asyncio

from settings import Settings
from state import keys
from state.quotas import Quotas, minutes_to_ms
from state.scripts import AsyncScriptRunner, ScriptRunner
from state.usage import Usage
from tests.state.conftest import NOON, new_id

DAY_MS = 300_000  # 5 free minutes


async def test_concurrent_reservations_never_exceed_the_day(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    quotas = Quotas(state_cfg)
    results = await asyncio.gather(
        *(run(quotas.check_and_reserve(user, 0.1, now=NOON)) for _ in range(100))
    )
    granted = [r for r in results if r.granted]
    assert len(granted) == 50  # 50 x 6 s = 300 s
    status = await run(quotas.get_usage(user, now=NOON))
    assert status.reserved_ms == sum(r.requested_ms for r in granted) == DAY_MS
    assert status.available_ms == 0
    assert max(r.status.reserved_ms for r in results) == DAY_MS


async def test_reservation_counts_charged_usage_and_open_holds(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    quotas, usage = Quotas(state_cfg), Usage(state_cfg)
    await run(usage.apply_usage(new_id("s"), user, "free", 120_000, NOON))
    first = await run(quotas.check_and_reserve(user, 2, now=NOON))
    assert first.granted
    assert (first.status.used_ms, first.status.reserved_ms) == (120_000, 120_000)
    assert first.status.available_ms == 60_000
    refused = await run(quotas.check_and_reserve(user, 1.01, now=NOON))
    assert not refused.granted
    assert refused.status.reserved_ms == 120_000
    assert (await run(quotas.check_and_reserve(user, 1, now=NOON))).granted


async def test_settle_gives_back_the_hold_once(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    quotas, usage = Quotas(state_cfg), Usage(state_cfg)
    reservation = await run(quotas.check_and_reserve(user, 2, now=NOON))
    await run(usage.apply_usage(new_id("s"), user, "free", 30_000, NOON))
    settled = await run(quotas.settle(reservation, 0.5, now=NOON))
    assert (settled.released_ms, settled.unused_ms) == (120_000, 90_000)
    assert (settled.status.used_ms, settled.status.reserved_ms) == (30_000, 0)
    assert settled.status.available_ms == 270_000
    again = await run(quotas.settle(reservation, 0.5, now=NOON))
    assert (again.released_ms, again.unused_ms, again.status.reserved_ms) == (0, 0, 0)


async def test_unsettled_holds_lapse_after_the_longest_session(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    quotas = Quotas(state_cfg)
    assert (await run(quotas.check_and_reserve(user, 5, now=NOON))).granted
    just_before = NOON + timedelta(minutes=120) - timedelta(milliseconds=1)
    assert (await run(quotas.get_usage(user, now=just_before))).reserved_ms == DAY_MS
    lapsed = await run(quotas.get_usage(user, now=NOON + timedelta(minutes=120)))
    assert lapsed.reserved_ms == 0


async def test_day_rolls_over_at_midnight_utc(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    late = datetime(2031, 3, 14, 23, 59, 30, tzinfo=UTC)
    clock_now = [late]
    quotas = Quotas(state_cfg, clock=lambda: clock_now[0])
    held = await run(quotas.check_and_reserve(user, 1))
    charge = await run(Usage(state_cfg).apply_usage(new_id("s"), user, "free", DAY_MS, late))
    assert charge.exceeded
    assert not (await run(quotas.check_and_reserve(user, 0.01))).granted
    assert held.status.resets_at == datetime(2031, 3, 15, tzinfo=UTC)

    clock_now[0] = datetime(2031, 3, 15, 0, 0, 1, tzinfo=UTC)
    fresh = await run(quotas.get_usage(user))
    assert (fresh.day, fresh.used_ms, fresh.reserved_ms) == (date(2031, 3, 15), 0, 0)
    assert fresh.remaining_ms == DAY_MS
    assert fresh.resets_at == datetime(2031, 3, 16, tzinfo=UTC)
    assert (await run(quotas.check_and_reserve(user, 5))).granted
    # Yesterday's reservation is settled against yesterday, not today's holds.
    settled = await run(quotas.settle(held, 0))
    assert settled.released_ms == 60_000
    assert settled.status.day == date(2031, 3, 14)
    assert (await run(quotas.get_usage(user))).reserved_ms == DAY_MS


async def test_day_keys_expire_a_day_after_their_day(
    run: AsyncScriptRunner, aclient: redis.asyncio.Redis, state_cfg: Settings, user: str
) -> None:
    evening = datetime(2031, 3, 14, 18, 0, tzinfo=UTC)
    await run(Quotas(state_cfg).check_and_reserve(user, 1, now=evening))
    await run(Usage(state_cfg).apply_usage(new_id("s"), user, "free", 1000, evening))
    expected_ms = timedelta(hours=6 + 24) // timedelta(milliseconds=1)
    for key in (keys.quota_day(user, evening.date()), keys.quota_holds(user, evening.date())):
        assert expected_ms - 5_000 < await aclient.pttl(key) <= expected_ms


async def test_premium_users_bypass_and_hold_nothing(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    quotas = Quotas(state_cfg)
    big = await run(quotas.check_and_reserve(user, 10_000, tier="premium", now=NOON))
    assert big.granted
    assert big.status.reserved_ms == 0
    assert (big.status.limit_ms, big.status.remaining_ms, big.status.available_ms) == (
        None,
        None,
        None,
    )
    charge = await run(
        Usage(state_cfg).apply_usage(new_id("s"), user, "premium", 10 * DAY_MS, NOON)
    )
    assert not charge.exceeded
    assert charge.status.used_ms == 10 * DAY_MS  # still counted
    assert (await run(quotas.check_and_reserve(user, 60, tier="premium", now=NOON))).granted
    assert not (await run(quotas.check_and_reserve(user, 0.1, now=NOON))).granted  # as free


async def test_sync_usage_answers_the_servers_numbers(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    await run(Usage(state_cfg).apply_usage(new_id("s"), user, "free", 90_000, NOON))
    synced = await run(Quotas(state_cfg).sync_usage(user, 0.5, now=NOON))
    assert (synced.client_ms, synced.drift_ms) == (30_000, -60_000)
    status = synced.status
    assert (status.used_ms, status.remaining_ms, status.limit_ms, status.tier) == (
        90_000,
        210_000,
        DAY_MS,
        "free",
    )
    assert status.resets_at == datetime(2031, 3, 15, tzinfo=UTC)
    again = await run(Quotas(state_cfg).get_usage(user, now=NOON))
    assert again == status  # the client's number changed nothing


def test_sync_runner_reserves_too(run_sync: ScriptRunner, state_cfg: Settings, user: str) -> None:
    quotas = Quotas(state_cfg)
    assert run_sync(quotas.check_and_reserve(user, 5, now=NOON)).granted
    assert not run_sync(quotas.check_and_reserve(user, 0.01, now=NOON)).granted


@pytest.mark.parametrize("minutes", [-1.0, float("nan"), float("inf")])
def test_minutes_must_be_finite_and_not_negative(minutes: float) -> None:
    with pytest.raises(ValueError):
        minutes_to_ms(minutes)


def test_minutes_convert_without_float_drift() -> None:
    assert minutes_to_ms(0.1) == 6_000
    assert sum(minutes_to_ms(0.1) for _ in range(50)) == minutes_to_ms(5)


def test_a_reservation_must_ask_for_something(state_cfg: Settings, user: str) -> None:
    with pytest.raises(ValueError):
        Quotas(state_cfg).check_and_reserve(user, 0, now=NOON)
