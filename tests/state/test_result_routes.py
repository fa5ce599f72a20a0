from __future__ import annotations

import redis.asyncio

from settings import Settings
from state import keys
from state.result_routes import ResultCursor, ResultRoute, ResultRoutes
from state.scripts import AsyncScriptRunner
from tests.state.conftest import new_id


async def test_register_answers_the_route_before(
    run: AsyncScriptRunner, state_cfg: Settings
) -> None:
    routes, sid = ResultRoutes(state_cfg), new_id("s")
    assert await run(routes.get(sid)) is None
    assert await run(routes.register(sid, 2, 40)) == ResultRoute()
    before = await run(routes.register(sid, 5, 7))
    assert before == ResultRoute(2, {2: 40}, None)
    assert before.stint_start == 40
    # A later stint on the same partition replaces its start; other partitions keep theirs.
    assert await run(routes.register(sid, 2, 90)) == ResultRoute(5, {2: 40, 5: 7}, None)
    assert await run(routes.get(sid)) == ResultRoute(2, {2: 90, 5: 7}, None)


async def test_acknowledge_moves_the_cursor_and_keeps_the_route(
    run: AsyncScriptRunner, state_cfg: Settings
) -> None:
    routes, sid = ResultRoutes(state_cfg), new_id("s")
    await run(routes.register(sid, 1, 10))
    await run(routes.acknowledge(sid, ResultCursor(1, 12, "e1")))
    await run(routes.acknowledge(sid, ResultCursor(1, 15, "e2")))
    assert await run(routes.get(sid)) == ResultRoute(1, {1: 10}, ResultCursor(1, 15, "e2"))


async def test_routes_expire_with_the_longest_a_session_can_live(
    run: AsyncScriptRunner, state_cfg: Settings, aclient: redis.asyncio.Redis
) -> None:
    routes, sid = ResultRoutes(state_cfg), new_id("s")
    await run(routes.register(sid, 0, 0))
    ttl_ms = await aclient.pttl(keys.result_route(sid))
    expected = state_cfg.max_session_minutes * 60_000 + state_cfg.session_ttl_seconds * 1000
    assert expected - 5000 < ttl_ms <= expected
