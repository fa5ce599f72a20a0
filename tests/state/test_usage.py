from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from settings import Settings
from state.quotas import Quotas
from state.scripts import AsyncScriptRunner, ScriptRunner
from state.sessions import Sessions
from state.usage import Usage
from tests.state.conftest import NOON, new_id
from wire.audio import SessionSettings

BATCH = [1_000, 2_500, 4_000, 7_250, 9_000]


async def test_only_the_part_above_the_high_water_mark_is_charged(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    usage, session = Usage(state_cfg), new_id("s")
    charges = [await run(usage.apply_usage(session, user, "free", total, NOON)) for total in BATCH]
    assert [c.charged_ms for c in charges] == [1_000, 1_500, 1_500, 3_250, 1_750]
    assert [c.high_water_ms for c in charges] == BATCH
    assert charges[-1].status.used_ms == 9_000
    assert charges[-1].status.remaining_ms == 291_000


async def test_replays_charge_the_max_total_exactly_once(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    usage, first, second = Usage(state_cfg), new_id("s"), new_id("s")
    await asyncio.gather(*(run(usage.apply_usage(first, user, "free", t, NOON)) for t in BATCH))
    # The same batch again, interleaved with another session's, duplicated and shuffled.
    calls = [(first, t) for t in BATCH * 2] + [(second, t) for t in [500, 3_000, 3_000, 2_000]]
    random.Random(7).shuffle(calls)
    replies = await asyncio.gather(
        *(run(usage.apply_usage(s, user, "free", t, NOON)) for s, t in calls)
    )
    assert sum(r.charged_ms for r in replies if r.session_id == first) == 0
    assert sum(r.charged_ms for r in replies if r.session_id == second) == 3_000
    status = await run(Quotas(state_cfg).get_usage(user, now=NOON))
    assert status.used_ms == 9_000 + 3_000
    entry = await run(usage.ledger(first))
    assert entry is not None
    assert (entry.user_id, entry.processed_ms, entry.updated_at) == (user, 9_000, NOON)


def test_a_crash_replay_from_a_snapshot_neither_double_charges_nor_misses(
    run_sync: ScriptRunner, state_cfg: Settings, user: str
) -> None:
    usage, session = Usage(state_cfg), new_id("s")
    for total in (1_000, 2_000, 3_000):  # applied, then the flow crashes
        run_sync(usage.apply_usage(session, user, "free", total, NOON))
    # Restored from a snapshot taken at 1_000, the flow recomputes the same totals and goes on.
    replay = [run_sync(usage.apply_usage(session, user, "free", t, NOON)) for t in (2_000, 3_000)]
    after = run_sync(usage.apply_usage(session, user, "free", 4_500, NOON))
    assert [r.charged_ms for r in replay] == [0, 0]
    assert (after.charged_ms, after.status.used_ms) == (1_500, 4_500)


async def test_exceeded_when_the_free_day_is_used_up(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    usage, session = Usage(state_cfg), new_id("s")
    almost = await run(usage.apply_usage(session, user, "free", 299_999, NOON))
    assert (almost.exceeded, almost.status.remaining_ms) == (False, 1)
    done = await run(usage.apply_usage(session, user, "free", 300_000, NOON))
    assert (done.exceeded, done.status.remaining_ms) == (True, 0)
    over = await run(usage.apply_usage(session, user, "free", 301_500, NOON))
    assert (over.charged_ms, over.status.used_ms, over.exceeded) == (1_500, 301_500, True)


async def test_a_session_across_midnight_charges_each_day_its_part(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    usage, session = Usage(state_cfg), new_id("s")
    before = datetime(2031, 3, 14, 23, 59, 59, tzinfo=UTC)
    await run(usage.apply_usage(session, user, "free", 1_000, before))
    after = await run(
        usage.apply_usage(session, user, "free", 3_000, before + timedelta(seconds=2))
    )
    assert (after.status.day, after.status.used_ms, after.charged_ms) == (
        date(2031, 3, 15),
        2_000,
        2_000,
    )
    yesterday = await run(Quotas(state_cfg).get_usage(user, now=before))
    assert yesterday.used_ms == 1_000


async def test_charges_show_on_the_live_session_record(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    sessions, usage = Sessions(state_cfg), Usage(state_cfg)
    settings = SessionSettings(session_id=new_id("s"), user_id=user)
    await run(sessions.create(settings, now=NOON))
    await run(usage.apply_usage(settings.session_id, user, "free", 4_000, NOON))
    await run(usage.apply_usage(settings.session_id, user, "free", 3_000, NOON))
    record = await run(sessions.get(settings.session_id, now=NOON))
    assert record is not None
    assert record.processed_ms == 4_000


async def test_usage_never_creates_a_session_record(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    session = new_id("s")
    await run(Usage(state_cfg).apply_usage(session, user, "free", 4_000, NOON))
    assert await run(Sessions(state_cfg).get(session, now=NOON)) is None
    assert await run(Usage(state_cfg).ledger(session)) is not None


async def test_ledger_of_an_unknown_session_is_empty(
    run: AsyncScriptRunner, state_cfg: Settings
) -> None:
    assert await run(Usage(state_cfg).ledger(new_id("s"))) is None


def test_totals_cannot_be_negative(state_cfg: Settings, user: str) -> None:
    with pytest.raises(ValueError):
        Usage(state_cfg).apply_usage(new_id("s"), user, "free", -1, NOON)


# -- leases: the limit held to the frame ---------------------------------------------


async def test_concurrent_sessions_lease_no_more_than_the_day_holds(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    usage, sessions = Usage(state_cfg), [new_id("s") for _ in range(3)]
    await run(usage.apply_usage(sessions[0], user, "free", 290_000, NOON))
    # Three sessions ask 2 s at a time, 30 times each, all at once: 10 s are left.
    asks = [run(usage.lease(s, user, "free", 2_000, NOON)) for s in sessions for _ in range(30)]
    leases = await asyncio.gather(*asks)
    assert sum(lease.granted_ms for lease in leases) == 10_000
    assert all(0 <= lease.granted_ms <= 2_000 for lease in leases)
    status = await run(Quotas(state_cfg).get_usage(user, now=NOON))
    assert (status.used_ms, status.reserved_ms, status.available_ms) == (290_000, 10_000, 0)
    refused = await run(usage.lease(sessions[1], user, "free", 1, NOON))
    assert refused.granted_ms == 0


async def test_charges_spend_the_lease_and_the_last_one_gives_the_rest_back(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    usage, quotas, session, other = Usage(state_cfg), Quotas(state_cfg), new_id("s"), new_id("s")
    await run(usage.apply_usage(other, user, "free", 295_000, NOON))
    lease = await run(usage.lease(session, user, "free", 4_000, NOON))
    assert (lease.granted_ms, lease.lease_ms) == (4_000, 4_000)
    charge = await run(usage.apply_usage(session, user, "free", 1_500, NOON))
    assert (charge.status.used_ms, charge.status.reserved_ms) == (296_500, 2_500)
    # Replays charge nothing and spend nothing.
    await run(usage.apply_usage(session, user, "free", 1_500, NOON))
    assert (await run(quotas.get_usage(user, now=NOON))).reserved_ms == 2_500
    # The other session can lease only what the limit leaves beside this lease.
    assert (await run(usage.lease(other, user, "free", 5_000, NOON))).granted_ms == 1_000
    await run(usage.apply_usage(other, user, "free", 296_000, NOON, final=True))
    last = await run(usage.apply_usage(session, user, "free", 2_000, NOON, final=True))
    assert (last.status.used_ms, last.status.reserved_ms) == (298_000, 0)
    assert (await run(usage.lease(new_id("s"), user, "free", 5_000, NOON))).granted_ms == 2_000


async def test_audio_sent_again_and_dropped_goes_back_to_the_lease_once(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    usage, quotas, session = Usage(state_cfg), Quotas(state_cfg), new_id("s")
    await run(usage.lease(session, user, "free", 6_000, NOON))
    # 1 s processed; 1.5 s a reconnect sent again, leased again, and dropped by the flow.
    charge = await run(usage.apply_usage(session, user, "free", 1_000, NOON, resent_ms_total=1_500))
    assert (charge.status.used_ms, charge.status.reserved_ms) == (1_000, 3_500)
    # A replay of the same totals gives back nothing more; a higher one, the difference.
    await run(usage.apply_usage(session, user, "free", 1_000, NOON, resent_ms_total=1_500))
    assert (await run(quotas.get_usage(user, now=NOON))).reserved_ms == 3_500
    await run(usage.apply_usage(session, user, "free", 2_000, NOON, resent_ms_total=2_000))
    assert (await run(quotas.get_usage(user, now=NOON))).reserved_ms == 2_000
    # Never below nothing, and only the charge counts as used.
    last = await run(usage.apply_usage(session, user, "free", 2_500, NOON, resent_ms_total=9_000))
    assert (last.status.used_ms, last.status.reserved_ms) == (2_500, 0)


async def test_a_lease_lapses_with_its_session(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    usage, session = Usage(state_cfg), new_id("s")
    await run(usage.lease(session, user, "free", 300_000, NOON))
    later = NOON + timedelta(seconds=state_cfg.session_ttl_seconds + 1)
    assert (await run(usage.lease(new_id("s"), user, "free", 1_000, later))).granted_ms == 1_000
    # The lapsed lease is gone for its session too: a charge takes nothing from it.
    charge = await run(usage.apply_usage(session, user, "free", 500, later))
    assert (charge.status.used_ms, charge.status.reserved_ms) == (500, 1_000)


async def test_a_lease_of_yesterday_holds_nothing_today(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    usage, session = Usage(state_cfg), new_id("s")
    before = datetime(2031, 3, 14, 23, 59, 59, tzinfo=UTC)
    await run(usage.lease(session, user, "free", 300_000, before))
    today = before + timedelta(seconds=2)
    fresh = await run(usage.lease(session, user, "free", 300_000, today))
    assert (fresh.granted_ms, fresh.lease_ms) == (300_000, 300_000)


async def test_a_session_gives_back_what_it_will_not_send(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    usage, session = Usage(state_cfg), new_id("s")
    await run(usage.lease(session, user, "free", 2_000, NOON))
    back = await run(usage.lease(session, user, "free", -1_900, NOON))
    assert (back.granted_ms, back.lease_ms, back.status.reserved_ms) == (-1_900, 100, 100)
    # Never more than it holds.
    assert (await run(usage.lease(session, user, "free", -500, NOON))).lease_ms == 0


def test_premium_has_nothing_to_lease(state_cfg: Settings, user: str) -> None:
    with pytest.raises(ValueError):
        Usage(state_cfg).lease(new_id("s"), user, "premium", 1_000, NOON)
