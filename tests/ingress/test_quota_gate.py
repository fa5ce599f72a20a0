"""A free user's day held to the frame at the socket, and the socket through a Redis outage."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import redis

import settings
from state.quotas import Quotas
from state.scripts import ScriptRunner
from tests.ingress.conftest import StartApp
from tests.ingress.support import (
    Caller,
    audio_records,
    authenticate,
    closed_with,
    pcm,
    produce_results,
    receive_until,
    reply_partition,
    ws_path,
)
from tests.ingress.test_ws_stream import ended
from tests.support.own_redis import own_redis
from wire.audio import AudioFrame, EndRecord

LIMIT_MS = 650


def _limited(cfg: settings.Settings, limit_ms: int = LIMIT_MS) -> settings.Settings:
    return dataclasses.replace(cfg, free_minutes_per_day=limit_ms / 60_000, ws_flood_factor=50.0)


async def test_the_frame_that_crosses_the_limit_is_cut_there_and_is_the_last(
    start_app: StartApp, ingress_cfg: settings.Settings, user: str
) -> None:
    cfg = _limited(ingress_cfg)
    caller = Caller((await start_app(cfg)).test_client(), cfg, user)
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, caller)
        for _ in range(8):
            await ws.send(pcm(100))
        seen = await receive_until(ws, "error")
        assert seen[-1]["code"] == "quota_exceeded"
        await ws.send(pcm(100))  # after the limit: dropped, not refused
        partition = await reply_partition(cfg, sid)
        await asyncio.to_thread(produce_results, cfg, partition, [ended(sid)])
        code, before = await closed_with(ws)
    assert code == 4029
    assert [m.get("status") for m in before] == ["ended"]
    records = await audio_records(cfg, sid, 9)
    frames = [r for r in records if isinstance(r, AudioFrame)]
    assert sum(len(f.pcm) for f in frames) == LIMIT_MS * 32
    assert [len(f.pcm) for f in frames][-1] == 50 * 32
    assert isinstance(records[-1], EndRecord) and records[-1].last_seq == frames[-1].seq
    session = (await caller.call("GET", f"/api/v1/dubbing/sessions/{sid}"))[1]
    assert session["status"] == "ended"


async def test_sessions_sharing_a_day_together_get_exactly_the_limit(
    start_app: StartApp, ingress_cfg: settings.Settings, user: str
) -> None:
    cfg = dataclasses.replace(
        _limited(ingress_cfg, 4_000), quota_lease_seconds=0.3, session_reserve_minutes=0.01
    )
    apps = [await start_app(cfg), await start_app(cfg)]  # two ingress processes' worth
    callers = [Caller(apps[i % 2].test_client(), cfg, user) for i in range(3)]
    sids = [(await c.create_session())["session_id"] for c in callers]

    async def stream(caller: Caller, sid: str) -> None:
        async with caller.client.websocket(ws_path(sid)) as ws:
            await authenticate(ws, caller)
            for _ in range(40):
                await ws.send(pcm(100))
                await asyncio.sleep(0.005)
            await ws.send(json.dumps({"type": "ping"}))
            await receive_until(ws, "error", timeout=30)

    await asyncio.gather(*(stream(c, s) for c, s in zip(callers, sids, strict=True)))
    published = 0
    for sid in sids:
        records = await audio_records(cfg, sid, 42, until_end=True)
        published += sum(len(r.pcm) for r in records if isinstance(r, AudioFrame))
    assert published == 4_000 * 32


async def test_premium_streams_without_leasing(caller: Caller, redis_url: str) -> None:
    caller = dataclasses.replace(caller, tier="premium")
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, caller)
        for _ in range(5):
            await ws.send(pcm(1000))
        await ws.send(json.dumps({"type": "ping"}))
        await receive_until(ws, "pong")
    client = redis.Redis.from_url(redis_url)
    try:
        assert not client.hexists(f"ld:usage:{sid}", "lease_ms")
    finally:
        client.close()


async def test_a_redis_outage_answers_503_and_1013_then_recovers_by_itself(
    start_app: StartApp, ingress_cfg: settings.Settings, user: str, tmp_path: Path
) -> None:
    with own_redis(tmp_path) as server:
        cfg = dataclasses.replace(
            ingress_cfg,
            redis_url=server.url,
            quota_lease_seconds=0.5,
            quota_outage_grace_seconds=0.3,
        )
        caller = Caller((await start_app(cfg)).test_client(), cfg, user)
        # Several sessions: the pool keeps several connections, all stale after the restart.
        sids = [(await caller.create_session())["session_id"] for _ in range(3)]
        status, quota = await caller.call("POST", "/api/v1/dubbing/quota/check", {})
        assert status == 200

        async with caller.client.websocket(ws_path(sids[0])) as ws:
            await authenticate(ws, caller)
            await ws.send(pcm(100))
            await receive_until(ws, "streaming")
            server.stop()
            # The lease in hand, then the grace: 0.5 s + 0.3 s of audio goes on.
            for _ in range(12):
                await ws.send(pcm(100))
            code, before = await closed_with(ws)
        assert code == 1013
        assert [m["code"] for m in before if m["type"] == "error"] == ["state_unavailable"]
        frames = [r for r in await audio_records(cfg, sids[0], 10) if isinstance(r, AudioFrame)]
        assert sum(len(f.pcm) for f in frames) == (500 + 300) * 32

        for method, path in (
            ("POST", "/api/v1/dubbing/quota/check"),
            ("GET", f"/api/v1/dubbing/sessions/{sids[1]}"),
            ("POST", "/api/v1/dubbing/usage/sync"),
        ):
            response = await caller.client.open(
                path, method=method, headers=caller.headers("x"), json={"client_minutes": 0}
            )
            body = await response.get_json()
            assert (response.status_code, body["error"]["code"]) in (
                (503, "state_unavailable"),
                (403, "csrf_invalid"),
            ), (path, body)
            if response.status_code == 503:
                assert response.headers["Retry-After"]
        status, body = await caller.call("GET", f"/api/v1/dubbing/sessions/{sids[1]}")
        assert (status, body["error"]["code"]) == (503, "state_unavailable")
        async with caller.client.websocket(ws_path(sids[1])) as ws:
            await ws.send(json.dumps({"type": "auth", "token": caller.token}))
            code, before = await closed_with(ws)
        assert (code, [m["code"] for m in before]) == (1013, ["state_unavailable"])

        server.start()
        # Every call after the restart succeeds: no stale pooled connection fails one.
        results = await asyncio.gather(
            *(caller.call("GET", f"/api/v1/dubbing/sessions/{sid}") for sid in sids * 4)
        )
        assert [status for status, _ in results] == [200] * 12
        for sid in sids[1:]:
            async with caller.client.websocket(ws_path(sid)) as ws:
                connected = await authenticate(ws, caller)
                assert connected["status"] == "connected"
        status, _ = await caller.call("POST", "/api/v1/dubbing/quota/check", {})
        assert status == 200
        run = ScriptRunner(redis.Redis.from_url(server.url))
        assert run(Quotas(cfg).get_usage(user)).used_ms == 0  # the flow charges, not the ingress
        assert quota["tier"] == "free"
