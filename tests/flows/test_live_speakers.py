"""One voice per speaker through the live flow (real Kafka and Redis): two synthetic voices take
turns, each gets a speaker number and is always dubbed in a voice of its own, on one and two
flow workers, with the flow SIGKILLed and restarted half way."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

import settings
from devstack.flow_process import FlowProcess
from devstack.kafka_io import ResultReader, ended, produce_records
from flows.speaker_clusters import DEFAULT_THRESHOLD
from providers.espeak_tts import EspeakTextToSpeech
from providers.speaker_embedder import SpeakerEmbedder
from tests.support.speech import frames, silence, speak
from wire.audio import AudioFrame, AudioRecord, EndRecord, SessionSettings, StartRecord
from wire.events import ResultEvent

# Piper's joe and espeak-ng's en-us with its f3 variant take turns, three lines each.
JOE = (
    "The weather is nice today.",
    "Please bring a hat and some water.",
    "The museum opens at nine tomorrow morning.",
)
OTHER = (
    "We are going to the beach this afternoon.",
    "The bus leaves at three o'clock.",
    "I will meet you at the station.",
)
OTHER_VOICE = "espeak:en-us+f3"
GAP_MS = 900


def _other(text: str) -> bytes:
    async def speak_it() -> bytes:
        tts = EspeakTextToSpeech()
        return b"".join([chunk.pcm async for chunk in tts.synthesize(text, "en", OTHER_VOICE)])

    return asyncio.run(speak_it())


def _programme(*turns: bytes) -> bytes:
    """The turns, each followed by a pause."""
    return silence(GAP_MS) + b"".join(turn + silence(GAP_MS) for turn in turns)


def _frames(session: SessionSettings, pcm: bytes, first_seq: int) -> list[AudioRecord]:
    now = int(time.time() * 1000)
    return [
        AudioFrame(session.session_id, first_seq + i, (first_seq + i) * 100, now, chunk)
        for i, chunk in enumerate(frames(pcm))
    ]


def _finals(events: list[ResultEvent], sid: str, kind: str) -> dict[int, ResultEvent]:
    return {e.segment: e for e in events if e.session_id == sid and e.type == kind and e.final}


def _dubs(events: list[ResultEvent], sid: str) -> dict[int, tuple[int | None, bytes]]:
    """Each segment's dubbed speech (its pieces in order, once each) and the speaker on them."""
    pieces: dict[int, dict[int, ResultEvent]] = {}
    for e in events:
        if e.session_id == sid and e.type == "audio":
            pieces.setdefault(e.segment, {})[e.chunk or 0] = e
    return {
        segment: (
            chunks[0].speaker,
            b"".join(base64.b64decode(chunks[i].data or "") for i in sorted(chunks)),
        )
        for segment, chunks in pieces.items()
    }


@pytest.mark.parametrize("workers", ["1", "2"])
def test_two_voices_taking_turns_get_two_speakers_each_dubbed_in_its_own_voice(
    cfg: settings.Settings, tmp_path: Path, results: ResultReader, workers: str
) -> None:
    flow = FlowProcess(
        cfg, tmp_path / "flow.log", {"SNAPSHOT_INTERVAL_SECONDS": "1", "FLOW_WORKERS": workers}
    )
    session = SessionSettings(
        session_id=f"s-{uuid.uuid4().hex[:10]}",
        user_id=f"u-{uuid.uuid4().hex[:8]}",
        audio_dubbing=True,
        live_subtitles=True,
        source_language="en",
        target_language="es",
    )
    sid = session.session_id
    # joe, the other, joe, the other; the flow is killed; the other, joe. Were the speakers
    # forgotten, the other would be speaker 1 after the restart.
    first = _programme(speak(JOE[0]), _other(OTHER[0]), speak(JOE[1]), _other(OTHER[1]))
    head = _frames(session, first, 0)
    tail = _frames(session, _programme(_other(OTHER[2]), speak(JOE[2])), len(head))
    flow.start()
    try:
        produce_records(cfg.kafka_bootstrap, cfg.topic_audio, [StartRecord(session), *head])
        results.read_until(lambda ev: len(_dubs(ev, sid)) >= 4, 120, flow.check_running)
        flow.kill()  # the speakers heard so far must survive it
        produce_records(
            cfg.kafka_bootstrap, cfg.topic_audio, [*tail, EndRecord(sid, tail[-1].seq, 0)]
        )
        flow.start()
        events = results.read_until(ended(sid), 120, flow.check_running)
    finally:
        flow.stop()

    # Six lines, joe first: speakers 1, 2, 1, 2, 2, 1 on the transcripts and the subtitles.
    expected = {0: 1, 1: 2, 2: 1, 3: 2, 4: 2, 5: 1}
    for kind in ("transcript", "subtitle"):
        assert {s: e.speaker for s, e in _finals(events, sid, kind).items()} == expected
    # An event repeated by the restart says the same speaker.
    said: dict[str, int | None] = {}
    for event in events:
        if event.session_id == sid and event.speaker is not None:
            assert said.setdefault(event.id, event.speaker) == event.speaker

    # Every line dubbed, by its speaker, before the kill and after it.
    dubs = _dubs(events, sid)
    assert {s: speaker for s, (speaker, _) in dubs.items()} == expected
    embedder = SpeakerEmbedder()
    voices = {s: embedder.embed_now(pcm)[0] for s, (_, pcm) in dubs.items()}
    assert all(v is not None for v in voices.values())
    vectors = {s: np.asarray(v) for s, v in voices.items()}
    # By ear: one speaker's dubs all in one voice, the two speakers' voices apart.
    for a in range(6):
        for b in range(a + 1, 6):
            score = float(vectors[a] @ vectors[b])
            if expected[a] == expected[b]:
                assert score > DEFAULT_THRESHOLD, (a, b, score)
            else:
                assert score < DEFAULT_THRESHOLD, (a, b, score)
