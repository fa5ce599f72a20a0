"""Sockets' session state: written for all of them together every interval, kept through outages."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

import settings
from ingress.state_flusher import StateDelta, StateFlusher, write_state
from state.errors import StateError
from state.result_routes import ResultRoutes
from state.scripts import AsyncScriptRunner
from state.sessions import Sessions
from state.subtitle_log import LoggedEvent, SubtitleLogs
from tests.ingress.conftest import StartApp
from tests.ingress.support import (
    Caller,
    authenticate,
    pcm,
    receive_json,
    receive_until,
    transcript,
    ws_path,
)
from wire.audio import SessionSettings

INTERVAL_S = 0.2


@pytest.fixture
async def runner(ingress_cfg: settings.Settings) -> AsyncIterator[AsyncScriptRunner]:
    client = redis.asyncio.Redis.from_url(ingress_cfg.redis_url)
    try:
        yield AsyncScriptRunner(client)
    finally:
        await client.aclose()


async def test_open_sockets_counters_reach_the_session_every_interval(
    start_app: StartApp, ingress_cfg: settings.Settings, user: str
) -> None:
    cfg = dataclasses.replace(ingress_cfg, ws_state_flush_seconds=INTERVAL_S)
    caller = Caller((await start_app(cfg)).test_client(), cfg, user)
    sids = [(await caller.create_session())["session_id"] for _ in range(2)]
    async with (
        caller.client.websocket(ws_path(sids[0])) as first,
        caller.client.websocket(ws_path(sids[1])) as second,
    ):
        for ws, frames in ((first, 2), (second, 3)):
            await authenticate(ws, caller)
            for _ in range(frames):
                await ws.send(pcm(100))
            assert (await receive_json(ws))["status"] == "streaming"
        await asyncio.sleep(3 * INTERVAL_S)
        # Both sockets are still open: the counts come from the periodic write.
        read = [(await caller.call("GET", f"/api/v1/dubbing/sessions/{s}"))[1] for s in sids]
        assert [r["audio_chunks_processed"] for r in read] == [2, 3]


async def test_a_session_ended_elsewhere_ends_the_stream_at_the_next_write(
    start_app: StartApp, ingress_cfg: settings.Settings, user: str, runner: AsyncScriptRunner
) -> None:
    cfg = dataclasses.replace(
        ingress_cfg, ws_state_flush_seconds=INTERVAL_S, ws_end_timeout_seconds=0.5
    )
    caller = Caller((await start_app(cfg)).test_client(), cfg, user)
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, caller)
        await ws.send(pcm(100))
        await runner(Sessions(cfg).end(sid, user))  # as another ingress's DELETE would
        await ws.send(pcm(100))
        ended = (await receive_until(ws, "ended"))[-1]
    assert ended["reason"] == "timeout"  # no flow here to confirm the end


@dataclasses.dataclass
class Socket:
    """Stands in for a stream socket: the changes it hands over and what it is told."""

    delta: StateDelta | None
    refused: list[StateError] = dataclasses.field(default_factory=list)

    def take_state(self) -> StateDelta | None:
        delta, self.delta = self.delta, None
        return delta

    def restore_state(self, delta: StateDelta) -> None:
        self.delta = delta

    def state_refused(self, refusal: StateError) -> None:
        self.refused.append(refusal)


async def test_changes_are_kept_through_a_redis_outage_and_written_after(
    ingress_cfg: settings.Settings, user: str, runner: AsyncScriptRunner
) -> None:
    sessions, routes = Sessions(ingress_cfg), ResultRoutes(ingress_cfg)
    logs = SubtitleLogs(ingress_cfg)
    sid = f"s-{user}"
    await runner(sessions.create(SessionSettings(session_id=sid, user_id=user, voice="joe")))
    delivered = transcript(sid, 0, "hola")
    socket = Socket(
        StateDelta(sid, user, 7, 1, last_seq=6, cursor=None, cues=(LoggedEvent.of(delivered),))
    )
    down = redis.asyncio.Redis.from_url("redis://127.0.0.1:1/0")
    try:
        outage = StateFlusher(
            lambda deltas: write_state(AsyncScriptRunner(down), sessions, routes, logs, deltas),
            {sid: socket},
            INTERVAL_S,
        )
        await outage.flush()
    finally:
        await down.aclose()
    assert socket.delta is not None and socket.delta.frames == 7  # kept for the next round
    back = StateFlusher(
        lambda deltas: write_state(runner, sessions, routes, logs, deltas),
        {sid: socket},
        INTERVAL_S,
    )
    await back.flush()
    session = await runner(sessions.get(sid))
    assert session is not None
    assert (session.audio_chunks_processed, session.last_seq) == (7, 6)
    assert [e.data for e in await runner(logs.read(sid))] == ["hola"]
    assert socket.delta is None and not socket.refused


async def test_a_failed_round_keeps_the_changes_and_the_flusher_goes_on(user: str) -> None:
    socket = Socket(StateDelta(f"s-{user}", user, frames=3, subtitles=0, last_seq=2, cursor=None))

    async def broken(deltas: list[StateDelta]) -> list[StateError | None]:
        raise ValueError("a reply the parser did not expect")

    await StateFlusher(broken, {"s": socket}, INTERVAL_S).flush()  # logs, does not raise
    assert socket.delta is not None and socket.delta.frames == 3
