"""The dataflow end to end in-process: segmentation and branches, on 1 and on 2 workers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import bytewax.operators as op
import numpy as np
import pytest
import soxr
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSink, TestingSource, cluster_main, run_main

from flows.concurrency import close_worker_loops
from flows.dataflow import process_audio
from flows.decode import Rejected, decode_message
from flows.finish import Routed
from flows.items import UsageTick
from flows.segmenter import SegmenterConfig
from flows.speech_steps import SpeechProviders
from flows.usage_step import UsageAnswer
from providers.base import SpeechChunk
from tests.support.speech import frames, silence, utterances
from wire.audio import AudioFrame, AudioRecord, EndRecord, SessionSettings, StartRecord
from wire.events import ResultEvent

SENTENCES = ("The weather is nice today.", "We are going to the beach this afternoon.")


def _session(sid: str, dubbing: bool, subtitles: bool) -> SessionSettings:
    return SessionSettings(
        session_id=sid,
        user_id="u-" + sid,
        audio_dubbing=dubbing,
        live_subtitles=subtitles,
        source_language="en",
        target_language="es",
        reply_partition=None,
    )


def _stream(settings: SessionSettings, pcm: bytes) -> list[AudioRecord]:
    sid = settings.session_id
    body: list[AudioRecord] = [AudioFrame(sid, i, i * 100, 0, f) for i, f in enumerate(frames(pcm))]
    return [StartRecord(settings), *body, EndRecord(sid, len(body) - 1, 0)]


def _interleave(*streams: list[AudioRecord]) -> list[AudioRecord]:
    out: list[AudioRecord] = []
    for i in range(max(len(s) for s in streams)):
        out += [s[i] for s in streams if i < len(s)]
    return out


class MemoryLedger:
    """The ledger interface over a dict: these tests check routing, not Redis (see tests/state)."""

    def __init__(self) -> None:
        self.marks: dict[str, int] = {}

    def apply(self, ticks: Sequence[UsageTick]) -> list[UsageAnswer]:
        answers = []
        for tick in ticks:
            sid = tick.settings.session_id
            mark = max(self.marks.get(sid, 0), tick.processed_ms)
            self.marks[sid] = mark
            answers.append(UsageAnswer(mark / 1000, 300.0))
        return answers


def _run(
    records: list[Any], engines: Callable[[], SpeechProviders], workers: int, ledger: Any = None
) -> list[ResultEvent]:
    out: list[Routed] = []
    flow = Dataflow("test_flow")
    inp = op.input("inp", flow, TestingSource(records, batch_size=8))
    events = process_audio("process_audio", inp, engines, ledger, SegmenterConfig(partials=False))
    op.output("out", events, TestingSink(out))
    if workers == 1:
        run_main(flow)
    else:
        cluster_main(flow, [], 0, worker_count_per_proc=workers)
    close_worker_loops()
    return [event for _partition, event in out]


def _hebrew_speech(engines: SpeechProviders) -> bytes:
    """Hebrew spoken by the offline TTS (espeak-ng), resampled to 16 kHz with silence around."""

    async def speak() -> list[SpeechChunk]:
        return [c async for c in engines.tts.synthesize("שלום, מה שלומך היום?", "he", None)]

    chunks = asyncio.run(speak())
    audio = np.frombuffer(b"".join(c.pcm for c in chunks), dtype="<i2").astype(np.float32)
    pcm = soxr.resample(audio, chunks[0].sample_rate, 16000).astype("<i2").tobytes()
    return silence(500) + pcm + silence(800)


def _of(events: list[ResultEvent], sid: str, kind: str) -> list[ResultEvent]:
    return [e for e in events if e.session_id == sid and e.type == kind]


@pytest.mark.parametrize("workers", [1, 2])
def test_each_mode_gets_its_events_and_ends_last(
    offline_engines: Callable[[], SpeechProviders], workers: int
) -> None:
    pcm = utterances(*SENTENCES)
    dub, sub, both = (
        _session("dub", True, False),
        _session("sub", False, True),
        _session("both", True, True),
    )
    ledger = MemoryLedger()
    events = _run(
        _interleave(_stream(dub, pcm), _stream(sub, pcm), _stream(both, pcm)),
        offline_engines,
        workers,
        ledger,
    )
    for sid in ("dub", "sub", "both"):
        transcripts = _of(events, sid, "transcript")
        assert [t.segment for t in transcripts] == [0, 1]
        assert "weather" in (transcripts[0].data or "").lower()
        assert all(t.language == "en" and t.final for t in transcripts)
        mine = [e for e in events if e.session_id == sid]
        assert mine[-1].status == "ended"
        assert len({e.id for e in mine}) == len(mine)
        # Every result says when its segment was closed (the bench splits overheads there).
        assert all(e.segmented_ms for e in mine if e.type in ("transcript", "subtitle", "audio"))
        assert ledger.marks[sid] == len(pcm) // 32  # every frame charged
    for sid in ("sub", "both"):
        subtitles = _of(events, sid, "subtitle")
        assert [s.segment for s in subtitles] == [0, 1]
        assert all(s.language == "es" and not s.untranslated for s in subtitles)
        assert "tiempo" in (subtitles[0].data or "").lower()
    for sid in ("dub", "both"):
        audio = _of(events, sid, "audio")
        assert {a.segment for a in audio} == {0, 1}
        assert all(a.format is not None and a.format.sample_rate > 0 for a in audio)
        assert [a.last_chunk for a in audio if a.segment == 0][-1]
    assert not _of(events, "sub", "audio") and not _of(events, "dub", "subtitle")


def test_hebrew_subtitles_say_untranslated_offline(
    offline_engines: Callable[[], SpeechProviders],
) -> None:
    settings = SessionSettings(
        session_id="he",
        user_id="u",
        audio_dubbing=True,
        live_subtitles=True,
        source_language="he",
        target_language="en",
    )
    events = _run(_stream(settings, _hebrew_speech(offline_engines())), offline_engines, 1)
    subtitles = _of(events, "he", "subtitle")
    assert subtitles and all(s.untranslated and s.language == "he" for s in subtitles)
    errors = _of(events, "he", "error")
    assert errors and all(e.code == "language_unsupported" for e in errors)
    assert not _of(events, "he", "audio")


def test_bad_records_become_error_events_and_the_flow_goes_on(
    offline_engines: Callable[[], SpeechProviders],
) -> None:
    from bytewax.connectors.kafka import KafkaSourceMessage

    good = _session("ok", False, True)
    records: list[AudioRecord | Rejected] = [
        decode_message(KafkaSourceMessage(key=b"junk", value=b"not a record")),
        decode_message(KafkaSourceMessage(key=b"ok", value=b"LD\x09\x02\x02ok")),
        *_stream(good, utterances(SENTENCES[0])),
    ]
    events = _run(records, offline_engines, 1)
    errors = [e for e in events if e.type == "error"]
    assert {(e.session_id, e.code) for e in errors} == {
        ("junk", "record_invalid"),
        ("ok", "record_invalid"),
    }
    assert "version" in (next(e for e in errors if e.session_id == "ok").error or "")
    assert _of(events, "ok", "subtitle")
