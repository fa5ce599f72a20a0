"""Hebrew TV through the whole stack on the cloud providers, each played by its local stand-in.

WebSocket -> ingress -> Kafka -> the live flow (`python -m flows` on AssemblyAI,
DeepL and ElevenLabs, reached through their SDKs at the stand-ins) -> Kafka
-> ingress. The programme is Hebrew (with one English line) spoken by
espeak-ng; the AssemblyAI stand-in hears it because it is registered there.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import settings
from devstack.flow_process import FlowProcess
from drills.__main__ import charged_ms
from ingress.app import create_app
from standins.assemblyai import SessionFault
from standins.cloud import CloudStandins
from standins.hearing import Hearing
from standins.programme import LINES, MUSIC_TAG, Line, music, register, silence, speak
from tests.ingress.support import Caller, Client, authenticate, closed_with
from tests.support.speech import frames

# assemblyai 1.8.2 reads ConnectionClosed.code and .reason, deprecated in websockets 13.1.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:ConnectionClosed\.(code|reason) is deprecated:DeprecationWarning"
)

SAID = (LINES[0], LINES[3], LINES[1])  # Hebrew, English, Hebrew
MUSIC_SECONDS = 3.0
FRAME_S = 0.1
PACE = 1.5  # times real time


def programme(lines: tuple[Line, ...] = SAID) -> bytes:
    parts = [silence(500)]
    for line in lines:
        parts += [speak(line.said, line.language), silence(700)]
    return b"".join([*parts, silence(500)])


@pytest.fixture(scope="module")
async def cloud() -> AsyncIterator[CloudStandins]:
    hearing = Hearing()
    register(hearing, music_seconds=MUSIC_SECONDS)
    async with CloudStandins(hearing) as standins:
        yield standins


def start_flow(cfg: settings.Settings, cloud: CloudStandins, log: Path, **env: str) -> FlowProcess:
    flow = FlowProcess(cfg, log, {**cloud.env(), "SNAPSHOT_INTERVAL_SECONDS": "1", **env})
    flow.start()
    return flow


@pytest.fixture
def cloud_flow(
    cfg: settings.Settings, cloud: CloudStandins, tmp_path: Path, flow_env: dict[str, str]
) -> Iterator[FlowProcess]:
    flow = start_flow(cfg, cloud, tmp_path / "flow.log", **flow_env)
    try:
        yield flow
    finally:
        flow.stop()


@dataclasses.dataclass
class Heard:
    """What one viewer received."""

    session_id: str
    user_id: str
    code: int
    events: list[dict[str, Any]]

    def finals(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind and e.get("final", True)]

    def dubbed(self) -> dict[int, list[dict[str, Any]]]:
        audio: dict[int, list[dict[str, Any]]] = {}
        for event in self.events:
            if event["type"] == "audio":
                audio.setdefault(event["segment"], []).append(event)
        return audio


async def watch(
    client: Client,
    cfg: settings.Settings,
    pcm: bytes,
    *,
    target: str,
    subtitles: bool,
    dubbing: bool,
    subtitle_language: str | None = None,
    during: Any = None,
    during_frame: int = 30,
) -> Heard:
    """Stream a programme as a tab would (paced), then end; everything the socket said."""
    caller = Caller(client, cfg, f"viewer-{uuid.uuid4().hex[:8]}", tier="premium")
    kind: dict[str, Any] = {"audio_dubbing": dubbing, "live_subtitles": subtitles}
    if subtitle_language:
        kind["subtitle_language"] = subtitle_language
    body = {"session_type": kind, "source_language": "he", "target_language": target}
    created = await caller.create_session(**body)
    sid = created["session_id"]
    async with client.websocket(f"/api/v1/dubbing/ws/{sid}") as ws:
        await authenticate(ws, caller)
        for index, frame in enumerate(frames(pcm)):
            await ws.send(frame)
            if during is not None and index == during_frame:
                await during()
            await asyncio.sleep(FRAME_S / PACE)
        await ws.send(json.dumps({"type": "end"}))
        code, received = await closed_with(ws, timeout=120)
    return Heard(sid, caller.user, code, received)


async def watch_alone(cfg: settings.Settings, pcm: bytes, **viewer: Any) -> Heard:
    """One viewer on an ingress of its own (see `watch`)."""
    async with create_app(cfg).test_app() as served:
        return await watch(served.test_client(), cfg, pcm, **viewer)


def translated(line: Line, target: str) -> str:
    if line.language == target:
        return line.said  # the same language: nothing to translate
    return line.en if target == "en" else line.es


def assert_programme_heard(
    heard: Heard, target: str, *, subtitles: bool, dubbing: bool, shown_in: str | None = None
) -> None:
    """Every line transcribed, and subtitled (in `shown_in`, else `target`) and dubbed as asked."""
    assert heard.code == 1000, heard.events[-3:]
    transcripts = heard.finals("transcript")
    assert [(t["data"], t["language"]) for t in transcripts] == [
        (line.said, line.language) for line in SAID
    ]
    segments = [t["segment"] for t in transcripts]
    if subtitles:
        shown = heard.finals("subtitle")
        assert [s["data"] for s in shown] == [translated(line, shown_in or target) for line in SAID]
        assert {s["language"] for s in shown} == {shown_in or target}
        # The original line alongside each subtitle: the same segment, the same cue.
        assert [(s["segment"], s["start_ms"]) for s in shown] == [
            (t["segment"], t["start_ms"]) for t in transcripts
        ]
    else:
        assert not heard.finals("subtitle")
    if dubbing:
        dubbed = heard.dubbed()
        assert sorted(dubbed) == segments
        for pieces in dubbed.values():
            assert [p["chunk"] for p in pieces] == list(range(len(pieces)))
            assert pieces[-1]["last_chunk"] and {p["language"] for p in pieces} == {target}
    else:
        assert not heard.dubbed()
    assert not [e for e in heard.events if e["type"] == "error"]
    assert heard.events[-1]["status"] == "ended"


@pytest.fixture
def ingress_cfg(cfg: settings.Settings) -> settings.Settings:
    return dataclasses.replace(cfg, rate_limit_per_minute=1000, ws_end_timeout_seconds=60)


MODES = [
    # (target, subtitles, dubbing, subtitle language)
    ("en", True, False, None),
    ("es", True, False, None),
    ("en", False, True, None),
    ("es", False, True, None),
    ("es", True, True, "en"),  # English subtitles and a Spanish dub at once
]


@pytest.mark.parametrize("flow_env", [{"FLOW_WORKERS": "1"}, {"FLOW_WORKERS": "2"}], indirect=True)
async def test_hebrew_tv_comes_out_in_english_and_spanish_in_every_mode(
    ingress_cfg: settings.Settings, cloud: CloudStandins, cloud_flow: FlowProcess
) -> None:
    pcm = programme()
    async with create_app(ingress_cfg).test_app() as served:
        client = served.test_client()
        viewers = [
            watch(client, ingress_cfg, pcm, target=t, subtitles=s, dubbing=d, subtitle_language=sl)
            for t, s, d, sl in MODES
        ]
        everyone = await asyncio.gather(*viewers)
    for heard, (target, subtitles, dubbing, subtitle_language) in zip(everyone, MODES, strict=True):
        try:
            assert_programme_heard(
                heard, target, subtitles=subtitles, dubbing=dubbing, shown_in=subtitle_language
            )
        except AssertionError:
            print(cloud_flow.tail(60))
            raise
        assert charged_ms(ingress_cfg, heard.session_id) == len(pcm) // 32


@pytest.fixture(name="flow_env")
def _flow_env(request: pytest.FixtureRequest) -> dict[str, str]:
    return dict(getattr(request, "param", {}))


async def test_a_provider_connection_dropped_mid_utterance_loses_and_repeats_nothing(
    ingress_cfg: settings.Settings, cloud: CloudStandins, cloud_flow: FlowProcess
) -> None:
    # The line drops 1.5 s into the second line (the English one), mid-word.
    drop_ms = 500 + len(speak(SAID[0].said, "he")) // 32 + 700 + 1500
    cloud.stt.faults.append(SessionFault(drop_after_ms=drop_ms))
    heard = await watch_alone(
        ingress_cfg,
        programme(),
        target="es",
        subtitles=True,
        dubbing=True,
    )
    assert_programme_heard(heard, "es", subtitles=True, dubbing=True)
    ids = [e["id"] for e in heard.events if "id" in e]
    assert len(ids) == len(set(ids))


async def test_too_many_new_sessions_is_waited_out_not_failed(
    ingress_cfg: settings.Settings, cloud: CloudStandins, cloud_flow: FlowProcess
) -> None:
    cloud.stt.too_many_sessions_code = 1008  # as the FAQ still describes it
    cloud.stt.new_sessions_per_minute = 0

    async def room_again() -> None:
        await asyncio.sleep(1.0)
        cloud.stt.new_sessions_per_minute = None

    lift = asyncio.create_task(room_again())
    try:
        heard = await watch_alone(
            ingress_cfg, programme(), target="en", subtitles=True, dubbing=False
        )
        await lift
    finally:
        cloud.stt.new_sessions_per_minute = None
        cloud.stt.too_many_sessions_code = 3009
    assert_programme_heard(heard, "en", subtitles=True, dubbing=False)


async def test_a_killed_flow_resumes_with_the_same_event_ids_and_exact_usage(
    ingress_cfg: settings.Settings, cloud: CloudStandins, cloud_flow: FlowProcess
) -> None:
    pcm = programme()

    async def kill_and_restart() -> None:
        await asyncio.sleep(1.2)  # a snapshot or more has been taken
        cloud_flow.kill()
        cloud_flow.start()

    heard = await watch_alone(
        ingress_cfg,
        pcm,
        target="es",
        subtitles=True,
        dubbing=True,
        during=kill_and_restart,
    )
    assert_programme_heard(heard, "es", subtitles=True, dubbing=True)
    ids = [e["id"] for e in heard.events if "id" in e]
    assert len(ids) == len(set(ids))  # repeats after the restart were dropped by id
    assert charged_ms(ingress_cfg, heard.session_id) == len(pcm) // 32


@pytest.mark.parametrize("flow_env", [{"ASSEMBLYAI_SPEECH_MODELS": "he=whisper-rt"}], indirect=True)
async def test_music_is_never_subtitled_or_dubbed(
    ingress_cfg: settings.Settings, cloud: CloudStandins, cloud_flow: FlowProcess
) -> None:
    # whisper-rt names music with a tag; nothing of it may reach the screen or the voice.
    # The music follows speech, so the provider's stream is open and hears it.
    speech = speak(SAID[0].said, "he")
    pcm = silence(300) + speech + silence(700) + music(MUSIC_SECONDS) + silence(1500)
    started = time.monotonic()
    heard = await watch_alone(ingress_cfg, pcm, target="en", subtitles=True, dubbing=True)
    watched = time.monotonic() - started
    texts = [e.get("data") for e in heard.events if e["type"] in ("transcript", "subtitle")]
    assert not [t for t in texts if t and ("Music" in t or "music" in t)]
    assert [s["data"] for s in heard.finals("subtitle")] == [SAID[0].en]
    assert len(heard.dubbed()) == 1
    heard_by_provider = cloud.stt.sessions[-1]
    assert heard_by_provider.params["speech_model"] == "whisper-rt"
    assert MUSIC_TAG in heard_by_provider.finals  # the provider did name it
    # The connection time the provider bills shows in the flow's metrics.
    with urllib.request.urlopen(cloud_flow.metrics_url, timeout=5) as answer:
        metrics = answer.read().decode()
    billed = re.search(r"^livedub_flow_stt_billed_seconds_total (\S+)$", metrics, re.M)
    assert billed and 1 <= float(billed.group(1)) <= watched + 1


async def test_two_voices_taking_turns_are_two_speakers_each_in_an_elevenlabs_voice_of_its_own(
    ingress_cfg: settings.Settings, cloud: CloudStandins, cloud_flow: FlowProcess
) -> None:
    # Six Hebrew lines, espeak-ng's Hebrew voice and its f3 variant in turn; the
    # AssemblyAI stand-in hears them (registered with their voice, which it labels).
    turns = [(LINES[i], "he" if n % 2 == 0 else "he+f3") for n, i in enumerate((0, 1, 2, 4, 5, 6))]
    parts = [silence(500)]
    for line, voice in turns:
        pcm = speak(line.said, voice)
        cloud.stt.hearing.register(pcm, line.said, line.language, speaker=voice)
        parts += [pcm, silence(700)]
    pcm = b"".join([*parts, silence(500)])
    cloud.tts_faults.reset()
    sessions_before = len(cloud.stt.sessions)

    async def kill_and_restart() -> None:
        cloud_flow.kill()  # after four lines: the speakers heard must survive it
        cloud_flow.start()

    four_lines = (len(b"".join(parts[:9])) // 32) // 100
    async with create_app(ingress_cfg).test_app() as served:
        heard = await watch(
            served.test_client(),
            ingress_cfg,
            pcm,
            target="en",
            subtitles=True,
            dubbing=True,
            during=kill_and_restart,
            during_frame=four_lines,
        )
    assert heard.code == 1000, heard.events[-3:]
    # The provider was asked for its speaker labels, on the connections before and after.
    opened = cloud.stt.sessions[sessions_before:]
    assert len(opened) >= 2 and all(
        o.params.get("speaker_labels", "").lower() == "true" for o in opened
    )
    expected = [1, 2, 1, 2, 1, 2]

    def in_order(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # After the restart a segment may be heard as two turns: order by both.
        return sorted(events, key=lambda e: (e["segment"], e.get("turn") or 0))

    assert [t["speaker"] for t in in_order(heard.finals("transcript"))] == expected
    assert [t["speaker"] for t in in_order(heard.finals("subtitle"))] == expected
    pieces = [p for ps in heard.dubbed().values() for p in ps if p["chunk"] == 0]
    assert [p["speaker"] for p in in_order(pieces)] == expected
    # Each speaker's lines went to ElevenLabs in one voice, the two voices different.
    voice_of_text = {
        seen.body["text"]: seen.path.split("/")[3]
        for seen in cloud.tts_faults.requests_to("/v1/text-to-speech/")
    }
    voices = [voice_of_text[line.en] for line, _ in turns]
    assert len(set(voices[0::2])) == len(set(voices[1::2])) == 1 and voices[0] != voices[1]
