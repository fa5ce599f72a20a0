"""Subtitles to keep: a live session's final subtitles and transcripts as WebVTT or SubRip.

Results go through the real path (the results topic, the fan-out, the socket);
the files are asked of another ingress process than the one that delivered them.
"""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import replace
from typing import Literal

import redis.asyncio
import srt
import webvtt
from werkzeug.datastructures import Headers

import settings
from state import keys
from tests.ingress.support import (
    Caller,
    ServedApp,
    authenticate,
    produce_results,
    receive_json,
    reply_partition,
)
from wire.events import ResultEvent, event_id

BOTH = {"session_type": {"audio_dubbing": True, "live_subtitles": True}}
PATH = "/api/v1/dubbing/sessions/{}/subtitles"


def said(
    kind: Literal["subtitle", "transcript"],
    session_id: str,
    segment: int,
    text: str,
    final: bool = True,
) -> ResultEvent:
    """A subtitle (English) or transcript (Hebrew) event, segment n spoken at 2n s for 1.5 s."""
    return ResultEvent(
        kind,
        event_id(session_id, segment, kind, "final" if final else "p1"),
        session_id,
        segment,
        data=text,
        start_ms=segment * 2000,
        end_ms=segment * 2000 + 1500,
        language="en" if kind == "subtitle" else "he",
        final=final,
    )


def subtitle(session_id: str, segment: int, text: str, final: bool = True) -> ResultEvent:
    return said("subtitle", session_id, segment, text, final)


def spoken(session_id: str, segment: int, text: str) -> ResultEvent:
    return said("transcript", session_id, segment, text)


async def download(caller: Caller, sid: str, query: str = "") -> tuple[int, str, Headers]:
    response = await caller.client.get(PATH.format(sid) + query, headers=caller.headers())
    return response.status_code, await response.get_data(as_text=True), response.headers


async def deliver(caller: Caller, sid: str, events: list[ResultEvent], ack: str) -> int:
    """Connect, receive `events` (partials included, repeats once), acknowledge `ack`, leave."""
    async with caller.client.websocket(f"/api/v1/dubbing/ws/{sid}") as ws:
        await authenticate(ws, caller)
        partition = await reply_partition(caller.cfg, sid)
        await asyncio.to_thread(produce_results, caller.cfg, partition, events)
        once = list(dict.fromkeys(e.id for e in events))
        assert [(await receive_json(ws))["id"] for _ in once] == once
        await ws.send(json.dumps({"type": "ack", "event_id": ack}))
        await ws.send(json.dumps({"type": "ping"}))
        assert (await receive_json(ws))["status"] == "pong"
    return partition


async def test_any_ingress_serves_the_delivered_finals_as_vtt_and_srt(
    two_instances: list[ServedApp], ingress_cfg: settings.Settings, user: str
) -> None:
    holder, other = (Caller(app.test_client(), ingress_cfg, user) for app in two_instances)
    sid = (await holder.create_session(**BOTH))["session_id"]
    events = [
        subtitle(sid, 1, "Good night and", final=False),
        spoken(sid, 1, "לילה טוב וברוכים הבאים"),
        replace(subtitle(sid, 1, "Good night and welcome"), speaker=2),
        # Arrives late, starts first; said by the programme's first speaker.
        replace(subtitle(sid, 0, "Rain <tomorrow> & wind --> north"), speaker=1),
        spoken(sid, 0, "מחר גשם"),
    ]
    await deliver(holder, sid, [*events, events[2]], ack=events[-1].id)  # one repeat

    status, text, headers = await download(other, sid)
    assert status == 200 and headers["Content-Type"] == "text/vtt; charset=utf-8"
    assert 'filename="livedub-' in headers["Content-Disposition"]
    assert "NOTE Language: en" in text
    cues = webvtt.from_buffer(io.StringIO(text)).captions
    assert [c.text for c in cues] == [
        "Rain &lt;tomorrow&gt; &amp; wind --&gt; north",  # escaped: a parser sees the text
        "Good night and welcome",
    ]
    assert [(c.start, c.end) for c in cues] == [
        ("00:00:00.000", "00:00:01.500"),
        ("00:00:02.000", "00:00:03.500"),
    ]
    assert [c.voice for c in cues] == ["Speaker 1", "Speaker 2"]  # two speakers: each named

    status, text, headers = await download(other, sid, "?format=srt&track=transcript")
    assert status == 200 and headers["Content-Type"] == "application/x-subrip; charset=utf-8"
    assert "transcript-he.srt" in headers["Content-Disposition"]
    original = list(srt.parse(text))
    assert [s.content for s in original] == ["מחר גשם", "לילה טוב וברוכים הבאים"]
    assert [s.index for s in original] == [1, 2]


async def test_what_a_dead_ingress_never_logged_is_logged_by_the_replay_elsewhere(
    two_instances: list[ServedApp], ingress_cfg: settings.Settings, user: str
) -> None:
    first, second = (Caller(app.test_client(), ingress_cfg, user) for app in two_instances)
    sid = (await first.create_session(**BOTH))["session_id"]
    events = [subtitle(sid, n, f"line {n}") for n in range(6)]
    old = await deliver(first, sid, events[:5], ack=events[1].id)
    # As if the first process had died after writing the cursor (line 1) and lines 0-1
    # of the log, before lines 2-4: the client had seen them all.
    client = redis.asyncio.Redis.from_url(ingress_cfg.redis_url)
    try:
        assert await client.hdel(keys.subtitle_log(sid), *(e.id for e in events[2:5])) == 3
    finally:
        await client.aclose()
    async with second.client.websocket(f"/api/v1/dubbing/ws/{sid}") as ws:
        await authenticate(ws, second, last_event_id=events[4].id)
        await asyncio.to_thread(produce_results, ingress_cfg, old, events[5:])
        assert (await receive_json(ws))["id"] == events[5].id  # the only one it missed
    status, text, _ = await download(first, sid, "?format=srt")
    assert status == 200
    assert [s.content for s in srt.parse(text)] == [f"line {n}" for n in range(6)]


async def test_only_the_owner_downloads_and_bad_asks_get_stable_codes(
    two_instances: list[ServedApp], ingress_cfg: settings.Settings, user: str
) -> None:
    owner = Caller(two_instances[0].test_client(), ingress_cfg, user)
    stranger = Caller(two_instances[1].test_client(), ingress_cfg, f"{user}-x")
    sid = (await owner.create_session(**BOTH))["session_id"]
    dub_only = (await owner.create_session())["session_id"]

    status, text, _ = await download(owner, sid)
    assert (status, text) == (200, "WEBVTT\n\nNOTE Language: en\n")  # nothing said yet
    for who, session, query, expected in [
        (stranger, sid, "", (403, "forbidden")),
        (owner, "no-such-session", "", (404, "session_not_found")),
        (owner, sid, "?format=docx", (400, "request_invalid")),
        (owner, sid, "?track=dub", (400, "request_invalid")),
        (owner, dub_only, "", (404, "not_found")),  # it has no translated subtitles
    ]:
        status, body, _ = await download(who, session, query)
        assert (status, json.loads(body)["error"]["code"]) == expected, (session, query)
    status, _, _ = await download(owner, dub_only, "?track=transcript")
    assert status == 200
    anonymous = await owner.client.get(PATH.format(sid))
    assert anonymous.status_code == 401
