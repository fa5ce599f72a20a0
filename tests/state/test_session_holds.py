from __future__ import annotations

from settings import Settings
from state.quotas import Quotas
from state.scripts import AsyncScriptRunner
from state.session_holds import SessionHolds
from tests.state.conftest import NOON, new_id


async def test_a_remembered_reservation_settles_from_its_recalled_copy(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    quotas, holds, sid = Quotas(state_cfg), SessionHolds(state_cfg), new_id("s")
    assert await run(holds.recall(sid)) is None
    reservation = await run(quotas.check_and_reserve(user, 2.0, now=NOON))
    await run(holds.remember(sid, reservation))
    recalled = await run(holds.recall(sid))
    assert recalled == reservation
    settled = await run(quotas.settle(recalled, 0.5, now=NOON))
    assert (settled.released_ms, settled.unused_ms, settled.status.reserved_ms) == (
        120_000,
        90_000,
        0,
    )
    again = await run(quotas.settle(recalled, 0.5, now=NOON))
    assert again.released_ms == 0
