"""The whole path for each mode: WebSocket -> ingress -> Kafka -> live flow -> Kafka -> ingress.

The flow runs as `python -m flows` with the offline providers; the speech is
generated with Piper (tests/support/speech.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import uuid
from pathlib import Path
from typing import Any

import redis

import settings
from devstack.flow_process import FlowProcess
from ingress.app import create_app
from state.quotas import Quotas
from state.scripts import ScriptRunner
from state.usage import Usage
from tests.ingress.support import Caller, Client, authenticate, closed_with
from tests.support.speech import frames, utterances

MODES = {
    "dubbing": ({"audio_dubbing": True, "live_subtitles": False}, {"transcript", "audio"}),
    "subtitles": ({"audio_dubbing": False, "live_subtitles": True}, {"transcript", "subtitle"}),
    "both": ({"audio_dubbing": True, "live_subtitles": True}, {"transcript", "subtitle", "audio"}),
}
RESULT_TYPES = {"transcript", "subtitle", "audio"}


async def stream_one(client: Client, cfg: settings.Settings, mode: str, pcm: bytes) -> Any:
    caller = Caller(client, cfg, f"user-{mode}-{uuid.uuid4().hex[:8]}")
    session_type, _ = MODES[mode]
    created = await caller.create_session(
        session_type=session_type, source_language="en", target_language="es"
    )
    async with client.websocket(f"/api/v1/dubbing/ws/{created['session_id']}") as ws:
        await authenticate(ws, caller)
        for frame in frames(pcm):
            await ws.send(frame)
        await ws.send(json.dumps({"type": "end"}))
        code, received = await closed_with(ws, timeout=240)
    _, session = await caller.call("GET", f"/api/v1/dubbing/sessions/{created['session_id']}")
    kept = {}
    if session_type["live_subtitles"]:  # the subtitles to keep, once the session has ended
        for track in ("translation", "transcript"):
            path = f"/api/v1/dubbing/sessions/{created['session_id']}/subtitles?track={track}"
            response = await client.get(path, headers=caller.headers())
            assert response.status_code == 200
            kept[track] = await response.get_data(as_text=True)
    return code, received, session, kept


async def test_each_mode_streams_speech_to_its_events_and_ended_closes(
    cfg: settings.Settings, flow: FlowProcess
) -> None:
    cfg = dataclasses.replace(cfg, rate_limit_per_minute=1000, ws_end_timeout_seconds=240)
    pcm = utterances("The weather is nice today.")
    async with create_app(cfg).test_app() as served:
        client = served.test_client()
        outcomes = await asyncio.gather(*(stream_one(client, cfg, mode, pcm) for mode in MODES))
    for mode, (code, received, session, kept) in zip(MODES, outcomes, strict=True):
        _, expected = MODES[mode]
        kinds = {m["type"] for m in received} & RESULT_TYPES
        assert kinds == expected, (mode, [m["type"] for m in received], flow.tail())
        finals = [m for m in received if m["type"] == "transcript" and m["final"]]
        assert "weather" in finals[0]["data"].lower()
        if "subtitle" in expected:
            assert {m["language"] for m in received if m["type"] == "subtitle"} == {"es"}
        assert received[-1]["type"] == "status" and received[-1]["status"] == "ended"
        assert "reason" not in received[-1]  # the flow's own `ended`, not the timeout
        assert code == 1000
        assert session["status"] == "ended" and session["seconds_processed"] > 0
        if "subtitle" in expected:
            subtitles = [m["data"] for m in received if m["type"] == "subtitle" and m["final"]]
            assert kept["translation"].startswith("WEBVTT")
            assert subtitles and all(line in kept["translation"] for line in subtitles)
            assert finals[0]["data"] in kept["transcript"]


async def test_a_free_day_shared_by_three_streams_holds_to_the_frame_across_a_flow_restart(
    cfg: settings.Settings, tmp_path: Path
) -> None:
    cfg = dataclasses.replace(
        cfg,
        free_minutes_per_day=0.1,  # 6 s
        session_reserve_minutes=0.01,
        rate_limit_per_minute=1000,
        ws_flood_factor=50.0,
        ws_end_timeout_seconds=120,
        quota_lease_seconds=0.5,
    )
    noop = {f"{kind}_PROVIDER": "noop" for kind in ("STT", "TRANSLATION", "TTS")}
    flow = FlowProcess(cfg, tmp_path / "flow.log", {**noop, "SNAPSHOT_INTERVAL_SECONDS": "1"})
    flow.start()
    user = f"user-{uuid.uuid4().hex[:8]}"
    try:
        async with create_app(cfg).test_app() as served:
            caller = Caller(served.test_client(), cfg, user)
            sids = [(await caller.create_session())["session_id"] for _ in range(3)]
            restarted = asyncio.create_task(asyncio.to_thread(_restart_soon, flow))
            outcomes = await asyncio.gather(*(_stream_4s(caller, sid) for sid in sids))
            await restarted
    finally:
        flow.stop()
    client = redis.Redis.from_url(cfg.redis_url)
    try:
        run = ScriptRunner(client)
        used = run(Quotas(cfg).get_usage(user)).used_ms
        charged = [run(Usage(cfg).ledger(sid)) for sid in sids]
    finally:
        client.close()
    assert used == 6_000, (outcomes, flow.tail())
    assert sum(entry.processed_ms for entry in charged if entry) == 6_000
    codes = [code for code, _ in outcomes]
    assert 4029 in codes and set(codes) <= {1000, 4029}
    for code, received in outcomes:
        assert received[-1]["type"] == "status" and received[-1]["status"] == "ended"
        if code == 4029:
            assert [m["code"] for m in received if m["type"] == "error"] == ["quota_exceeded"]


def _restart_soon(flow: FlowProcess) -> None:
    time.sleep(1.0)
    flow.kill()
    flow.start()


async def _stream_4s(caller: Caller, sid: str) -> tuple[int, list[Any]]:
    async with caller.client.websocket(f"/api/v1/dubbing/ws/{sid}") as ws:
        await authenticate(ws, caller)
        for _ in range(40):
            await ws.send(b"\x01\x00" * 1600)
            await asyncio.sleep(0.05)
        await ws.send(json.dumps({"type": "end"}))
        return await closed_with(ws, timeout=120)
