"""The stream socket against real Kafka and Redis: authentication, frames, control, the end."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any

import pytest

import settings
from ingress.dev_token import mint_dev_token
from ingress.ws_stream import SEQ_RESUME_GAP
from tests.ingress.conftest import StartApp
from tests.ingress.support import (
    Caller,
    Socket,
    audio_records,
    authenticate,
    closed_with,
    pcm,
    produce_results,
    receive_json,
    receive_until,
    reply_partition,
    ws_path,
)
from wire.audio import AudioFrame, EndRecord, StartRecord
from wire.events import ResultEvent, event_id


def ended(session_id: str) -> ResultEvent:
    return ResultEvent(
        "status", event_id(session_id, -1, "status-ended"), session_id, status="ended"
    )


async def test_frames_follow_the_start_record_and_reconnects_continue_the_sequence(
    caller: Caller,
) -> None:
    created = await caller.create_session(
        session_type={"audio_dubbing": False, "live_subtitles": True}, target_language="es"
    )
    sid = created["session_id"]
    frames = [pcm(100), pcm(20), pcm(1000)]
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, caller)
        for frame in frames:
            await ws.send(frame)
        assert (await receive_json(ws))["status"] == "streaming"
        await ws.send(json.dumps({"type": "ping"}))
        assert (await receive_json(ws))["status"] == "pong"
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, caller)
        await ws.send(pcm(100))
        await ws.send(json.dumps({"type": "ping"}))
        await receive_until(ws, "pong")

    records = await audio_records(caller.cfg, sid, 6)
    first, second = records[0], records[4]
    for start in (first, second):
        assert isinstance(start, StartRecord)
        settings_ = start.settings
        assert (settings_.user_id, settings_.tier, settings_.target_language) == (
            caller.user,
            "free",
            "es",
        )
        assert (settings_.audio_dubbing, settings_.live_subtitles) == (False, True)
        assert settings_.reply_partition in range(caller.cfg.topic_partitions)
    sent = [r for r in records if isinstance(r, AudioFrame)]
    # The reconnect starts a fresh block: numbers never collide with a lost stream's.
    assert isinstance(first, StartRecord) and isinstance(second, StartRecord)
    assert (first.first_seq, second.first_seq) == (0, 3 + SEQ_RESUME_GAP)
    assert [f.seq for f in sent] == [0, 1, 2, 3 + SEQ_RESUME_GAP]
    assert [f.pcm for f in sent] == [*frames, pcm(100)]
    assert all(f.capture_ms > 0 and f.ingress_ms >= f.capture_ms for f in sent)
    read = (await caller.call("GET", f"/api/v1/dubbing/sessions/{sid}"))[1]
    assert read["audio_chunks_processed"] == 4


async def test_frames_carry_their_place_in_the_audio_from_the_position_the_client_gave(
    caller: Caller,
) -> None:
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(ws_path(sid)) as ws:  # a client that does not say
        await authenticate(ws, caller)
        await ws.send(pcm(100))
        await receive_until(ws, "streaming")
    async with caller.client.websocket(ws_path(sid)) as ws:  # it sends again from 50 ms
        await authenticate(ws, caller, audio_position_ms=50)
        await ws.send(pcm(100))
        await ws.send(b"\x00" * 321)  # refused, and no audio of the stream
        await ws.send(pcm(20))
        await ws.send(b"\x02\x00" * 112)  # 7 ms, then more audio: refused, so a gap
        await ws.send(pcm(1000))
        await ws.send(b"\x04\x00" * 40)  # the last 2.5 ms before the end
        await ws.send(json.dumps({"type": "end"}))
        partition = await reply_partition(caller.cfg, sid)
        await asyncio.to_thread(produce_results, caller.cfg, partition, [ended(sid)])
        await closed_with(ws)

    records = await audio_records(caller.cfg, sid, 8)
    frames = [r for r in records if isinstance(r, AudioFrame)]
    assert [(f.audio_offset, len(f.pcm)) for f in frames] == [
        (None, 3200),
        (1600, 3200),
        (4800, 640),
        (5440 + 224, 32000),  # after the refused 7 ms
        (5440 + 224 + 32000, 80),
    ]


async def test_a_malformed_audio_position_is_refused_like_any_bad_auth_field(
    caller: Caller,
) -> None:
    sid = (await caller.create_session())["session_id"]
    for position in (-1, 2.5, "100", True, 2**31):
        hello = {"type": "auth", "token": caller.token, "audio_position_ms": position}
        async with caller.client.websocket(ws_path(sid)) as ws:
            await ws.send(json.dumps(hello))
            code, before = await closed_with(ws)
        assert code == 4003, position
        assert [m["code"] for m in before] == ["auth_required"], position
        assert "audio_position_ms" in before[0]["error"], before


async def test_bad_frames_and_messages_are_answered_and_the_socket_stays_open(
    caller: Caller,
) -> None:
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, caller)
        cases: list[tuple[bytes | str, str]] = [
            (b"\x00" * 321, "frame_invalid"),
            ("{not json", "message_invalid"),
            ('{"type": "dance"}', "message_invalid"),
            ('{"type": "ack"}', "message_invalid"),
            ("[1, 2]", "message_invalid"),
            ('{"type": "auth", "token": "again"}', "message_invalid"),
        ]
        for message, code in cases:
            await ws.send(message)
            error = await receive_json(ws)
            assert (error["type"], error["code"]) == ("error", code), message
            assert error["error"] and error["session_id"] == sid
            assert "id" not in error  # the ingress's own messages are not results to resume from
        await ws.send(pcm(1000))
        assert (await receive_json(ws))["status"] == "streaming"
        await ws.send(json.dumps({"type": "pause"}))
        assert (await receive_json(ws))["status"] == "paused"
        await ws.send(pcm(10))
        assert (await receive_json(ws))["status"] == "streaming"
        await ws.send(json.dumps({"type": "pause"}))
        await ws.send(json.dumps({"type": "resume"}))
        assert [m["status"] for m in (await receive_json(ws), await receive_json(ws))] == [
            "paused",
            "streaming",
        ]
    records = await audio_records(caller.cfg, sid, 3)
    assert [r.seq for r in records if isinstance(r, AudioFrame)] == [0, 1]
    assert [len(r.pcm) for r in records if isinstance(r, AudioFrame)] == [32000, 320]


async def test_repeated_invalid_messages_close_4400(
    start_app: StartApp, ingress_cfg: settings.Settings, user: str
) -> None:
    cfg = dataclasses.replace(ingress_cfg, ws_invalid_limit=3)
    caller = Caller((await start_app(cfg)).test_client(), cfg, user)
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, caller)
        for _ in range(4):
            await ws.send("junk")
        code, before = await closed_with(ws)
    assert code == 4400
    assert [m["code"] for m in before] == ["message_invalid"] * 5


async def test_authentication_failures_close_with_their_codes_while_others_stream(
    caller: Caller,
) -> None:
    good_sid = (await caller.create_session())["session_id"]
    other = dataclasses.replace(caller, user=caller.user + "-other")
    others_sid = (await other.create_session())["session_id"]
    ended_sid = (await caller.create_session())["session_id"]
    await caller.call("DELETE", f"/api/v1/dubbing/sessions/{ended_sid}")

    async def attempt(session_id: str, first: bytes | str | None) -> tuple[int, list[object]]:
        async with caller.client.websocket(ws_path(session_id)) as ws:
            if first is not None:
                await ws.send(first)
            return await closed_with(ws)

    def auth(token: str) -> str:
        return json.dumps({"type": "auth", "token": token})

    async with caller.client.websocket(ws_path(good_sid)) as good:
        await authenticate(good, caller)
        cases = [
            (good_sid, None, 4001, "auth_timeout"),
            (good_sid, pcm(100), 4003, "auth_required"),
            (good_sid, '{"type": "ping"}', 4003, "auth_required"),
            (good_sid, auth("not-a-jwt"), 4003, "auth_invalid"),
            (
                good_sid,
                auth(mint_dev_token(caller.cfg, caller.user, ttl_seconds=-3600)),
                4003,
                "auth_expired",
            ),
            ("no-such-session", auth(caller.token), 4004, "session_not_found"),
            (others_sid, auth(caller.token), 4003, "forbidden"),
            (ended_sid, auth(caller.token), 4005, "session_ended"),
        ]
        for session_id, first, close_code, error_code in cases:
            code, before = await attempt(session_id, first)
            assert (code, [m["code"] for m in before]) == (close_code, [error_code]), error_code
        await good.send(pcm(100))
        await good.send(json.dumps({"type": "ping"}))
        assert [m["status"] for m in await receive_until(good, "pong")] == ["streaming", "pong"]


async def test_an_audio_flood_closes_4030(
    start_app: StartApp, ingress_cfg: settings.Settings, user: str
) -> None:
    cfg = dataclasses.replace(ingress_cfg, ws_flood_factor=2.0, ws_flood_burst_seconds=2.0)
    caller = Caller((await start_app(cfg)).test_client(), cfg, user)
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, caller)
        for _ in range(4):
            await ws.send(pcm(1000))
        code, before = await closed_with(ws)
    assert code == 4030
    assert before[0]["status"] == "streaming"
    assert before[-1]["code"] == "rate_limited"
    frames = [r for r in await audio_records(cfg, sid, 3) if isinstance(r, AudioFrame)]
    assert len(frames) == 2  # the burst's worth was accepted, nothing after


async def finish(ws: Socket, caller: Caller, sid: str) -> tuple[int, list[Any]]:
    partition = await reply_partition(caller.cfg, sid)
    await asyncio.to_thread(produce_results, caller.cfg, partition, [ended(sid)])
    return await closed_with(ws)


async def test_end_waits_for_the_flows_ended_then_closes_and_settles(caller: Caller) -> None:
    sid = (await caller.create_session())["session_id"]
    # The session holds a minute; the 100 ms it sent stay leased (no flow charges them here).
    check = ("POST", "/api/v1/dubbing/quota/check", {"estimated_minutes": 4.99})
    assert (await caller.call(*check))[1]["allowed"] is False
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, caller)
        await ws.send(pcm(100))
        await ws.send(json.dumps({"type": "end"}))
        await ws.send(pcm(100))
        streaming, refused = await receive_json(ws), await receive_json(ws)
        assert (streaming["status"], refused["code"]) == ("streaming", "session_ended")
        code, before = await finish(ws, caller, sid)
    assert code == 1000
    assert [m["status"] for m in before] == ["ended"]
    records = await audio_records(caller.cfg, sid, 3)
    assert isinstance(records[2], EndRecord) and records[2].last_seq == 0
    read = (await caller.call("GET", f"/api/v1/dubbing/sessions/{sid}"))[1]
    assert read["status"] == "ended"
    assert (await caller.call(*check))[1]["allowed"] is True


async def test_without_the_flows_ended_the_end_times_out(
    start_app: StartApp, ingress_cfg: settings.Settings, user: str
) -> None:
    cfg = dataclasses.replace(ingress_cfg, ws_end_timeout_seconds=0.3)
    caller = Caller((await start_app(cfg)).test_client(), cfg, user)
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, caller)
        await ws.send(json.dumps({"type": "end"}))
        code, before = await closed_with(ws)
    assert code == 1000
    assert [(m["status"], m["reason"]) for m in before] == [("ended", "timeout")]
    assert (await caller.call("GET", f"/api/v1/dubbing/sessions/{sid}"))[1]["status"] == "ended"


async def test_a_short_frame_goes_out_only_as_the_last_before_end_or_pause(
    caller: Caller,
) -> None:
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, caller)
        await ws.send(pcm(100))
        await receive_until(ws, "streaming")
        await ws.send(b"\x02\x00" * 112)  # 7 ms, then more audio: refused
        await ws.send(pcm(100))
        error = await receive_json(ws)
        assert (error["type"], error["code"]) == ("error", "frame_too_small")
        await ws.send(b"\x03\x00" * 50)  # then a pause: it was the last before it
        await ws.send(json.dumps({"type": "pause"}))
        await receive_until(ws, "paused")
        await ws.send(pcm(100))
        await ws.send(b"\x04\x00" * 112)  # the tab's last 7 ms, then the end
        await ws.send(json.dumps({"type": "end"}))
        partition = await reply_partition(caller.cfg, sid)
        await asyncio.to_thread(produce_results, caller.cfg, partition, [ended(sid)])
        code, _ = await closed_with(ws)
    assert code == 1000
    records = await audio_records(caller.cfg, sid, 6)
    frames = [r for r in records if isinstance(r, AudioFrame)]
    assert [len(f.pcm) for f in frames] == [3200, 3200, 100, 3200, 224]
    assert isinstance(records[-1], EndRecord) and records[-1].last_seq == frames[-1].seq


async def test_a_state_outage_closes_1013_state_unavailable(
    start_app: StartApp, ingress_cfg: settings.Settings, user: str
) -> None:
    cfg = dataclasses.replace(ingress_cfg, redis_url="redis://127.0.0.1:1/0")
    caller = Caller((await start_app(cfg)).test_client(), cfg, user)
    async with caller.client.websocket(ws_path("any-session")) as ws:
        await ws.send(json.dumps({"type": "auth", "token": caller.token}))
        code, before = await closed_with(ws)
    assert (code, [m["code"] for m in before]) == (1013, ["state_unavailable"])


async def test_results_carry_when_the_ingress_sent_them_and_its_own_messages_do_not(
    caller: Caller,
) -> None:
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, caller)
        await ws.send(pcm(100))
        assert "sent_ms" not in await receive_json(ws)  # `streaming`: the ingress's own
        transcript = ResultEvent(
            "transcript", event_id(sid, 0, "transcript"), sid, segment=0, data="hello"
        )
        partition = await reply_partition(caller.cfg, sid)
        before = time.time() * 1000
        await asyncio.to_thread(produce_results, caller.cfg, partition, [transcript])
        received = await receive_json(ws)
        after = time.time() * 1000
    assert {k: v for k, v in received.items() if k != "sent_ms"} == transcript.to_dict()
    assert before <= received["sent_ms"] <= after + 0.1  # stamped to a tenth of a ms


async def test_delete_ends_a_stream_in_progress(caller: Caller) -> None:
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, caller)
        await ws.send(pcm(100))
        assert (await receive_json(ws))["status"] == "streaming"
        status, answer = await caller.call("DELETE", f"/api/v1/dubbing/sessions/{sid}")
        assert (status, answer["status"]) == (200, "ended")
        code, before = await finish(ws, caller, sid)
    assert (code, [m["status"] for m in before]) == (1000, ["ended"])
    records = await audio_records(caller.cfg, sid, 3)
    assert isinstance(records[2], EndRecord) and records[2].last_seq == 0


async def test_a_newer_socket_for_the_session_replaces_the_older(caller: Caller) -> None:
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(ws_path(sid)) as old:
        await authenticate(old, caller)
        await old.send(pcm(100))
        await receive_json(old)
        async with caller.client.websocket(ws_path(sid)) as new:
            await authenticate(new, caller)
            code, _ = await closed_with(old)
            assert code == 1001
            await new.send(pcm(100))
            await receive_json(new)
    frames = [r for r in await audio_records(caller.cfg, sid, 4) if isinstance(r, AudioFrame)]
    assert [f.seq for f in frames] == [0, 1 + SEQ_RESUME_GAP]  # the newer socket: a fresh block


@pytest.mark.parametrize(("created", "streamed"), [("free", "premium"), ("premium", "free")])
async def test_a_session_keeps_the_tier_it_was_created_with(
    caller: Caller, created: str, streamed: str
) -> None:
    # Opened free, streamed with a premium token of the same user: still metered.
    sid = (await dataclasses.replace(caller, tier=created).create_session())["session_id"]
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, dataclasses.replace(caller, tier=streamed))
    start = (await audio_records(caller.cfg, sid, 1))[0]
    assert isinstance(start, StartRecord) and start.settings.tier == created


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (pcm(1000) + b"\x00\x00", "frame_too_large"),  # just over 1 s
        (b"\x00" * (1024 * 1024 - 2), "frame_too_large"),  # just under Hypercorn's 1 MiB
        (json.dumps({"type": "ping", "pad": "x" * 16_400}), "message_invalid"),
    ],
)
async def test_a_message_over_its_limit_closes_1009_after_what_came_before(
    caller: Caller, message: bytes | str, code: str
) -> None:
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(ws_path(sid)) as ws:
        await authenticate(ws, caller)
        await ws.send(pcm(100))
        await ws.send(message)
        closed, before = await closed_with(ws)
    assert closed == 1009
    assert [(m["type"], m.get("status") or m.get("code")) for m in before] == [
        ("status", "streaming"),
        ("error", code),
    ]
    frames = [r for r in await audio_records(caller.cfg, sid, 2) if isinstance(r, AudioFrame)]
    assert [len(f.pcm) for f in frames] == [3200]  # the frame before it was kept
    _, read = await caller.call("GET", f"/api/v1/dubbing/sessions/{sid}")
    assert read["status"] == "active"  # the client may reconnect and go on
