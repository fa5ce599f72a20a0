"""The livedub dataflow, read top to bottom as the data moves.

    audio records ─ key by session ─ segment (order, dedupe, VAD, usage)
        ├─ usage ticks ─ charge usage ───────────────────────────────┐
        └─ speech segments ─ speech-to-text ─┬─ new words ─ speakers ─ transcript events ─┤
           (or, for a streaming provider,     │ (a partial that repeats the last one goes
            the audio as it arrives and       │  no further; each final's speaker, from
            each utterance's end)             │  its voiceprint; streaming: from the
           └─ final segments ─ voiceprints ───┘  provider's label, a new label's turn
                                                 embedded first)
               ├─ [subtitles] translate(subtitle language) ─ subtitle events ─┤
               └─ [dubbing] translate(target language) + text-to-speech ─ audio events ─┤
    all events ─ route and finish (`ended` after the last event) ─ out

Everything from the segmenter to the finish stays keyed by session.

`process_audio` is that middle part, shared by the live flow (Kafka in, Kafka
out, see `flows.live`) and the file mode (`just dub`, see `flows.dub_file`).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar, cast

import bytewax.operators as op
from bytewax.dataflow import Stream, operator
from bytewax.operators import KeyedStream

from flows.async_stage import AsyncStage, Call
from flows.audio_log import AudioLog
from flows.concurrency import PerWorker, WorkerLoop
from flows.decode import Rejected, is_record, rejected_event
from flows.finish import Routed, SessionFinisher
from flows.items import (
    PathDone,
    RouteChange,
    SpeechSegment,
    StreamAudio,
    StreamEnd,
    StreamPause,
    Transcribed,
    UsageTick,
    Voiceprint,
)
from flows.live_transcription import LiveTranscription, LiveTranscriptionState, StreamItem
from flows.segmenter import SegmenterConfig, SegmenterOutput, SessionSegmenter
from flows.speakers import (
    SessionSpeakers,
    SpeakerSetup,
    SpeakersState,
    dub_by_speaker,
    voiceprint,
    wants_voiceprint,
)
from flows.speech_steps import (
    SpeechProviders,
    dub,
    new_words,
    subtitle_events,
    transcribe,
    transcript_events,
    translate,
)
from flows.usage_step import UsageCharger, UsageLedger
from providers.base import StreamingSpeechToText, VoiceEmbedder
from wire.audio import AudioRecord
from wire.events import ResultEvent

Outcome = ResultEvent | PathDone | RouteChange


X = TypeVar("X")
Y = TypeVar("Y")


@operator
def process_audio(
    step_id: str,
    records: Stream[AudioRecord | Rejected],
    providers: Callable[[], SpeechProviders],
    ledger: UsageLedger | None,
    config: SegmenterConfig,
    audio_log: AudioLog | None = None,
    speakers: SpeakerSetup | None = None,
) -> Stream[Routed]:
    """Audio records in; each session's events out with their partition, `ended` last.

    `providers` builds the speech engines; each worker thread builds its own,
    with the loop its provider calls run on. `audio_log` is where the records
    came from, when that is the audio topic: snapshots then name held audio
    instead of copying it. `speakers`: tell speakers apart and dub each in a
    voice of its own (None: every segment in the session's voice).
    """
    embedder = speakers.embedder if speakers is not None else None
    workers = PerWorker(
        lambda: WorkerEngines(WorkerLoop(), providers(), embedder() if embedder else None)
    )
    valid = op.branch("is_record", records, is_record)
    # `branch` narrows only its true side; the false side holds just the rejections.
    rejects = op.map("rejected_events", cast(Stream[Rejected], valid.falses), _keyed_rejection)
    # Keyed by session from here to the end: every step after the segmenter is
    # per session, and each key_on/key_rm would be one more operator, so one
    # more worker step, on every event's way out.
    by_session = op.key_on("by_session", valid.trues, _session_of)
    segmented: KeyedStream[SegmenterOutput] = op.stateful_batch(
        "segment",
        by_session,
        functools.partial(SessionSegmenter, config, audio_log=audio_log),
    )

    usage_ticks = op.filter_map_value("usage_ticks", segmented, _usage_tick)
    speech: KeyedStream[StreamItem] = op.filter_map_value("speech", segmented, _speech_or_end)
    passthrough = op.filter_map_value("segmenter_outcomes", segmented, _segmenter_outcome)
    usage: KeyedStream[ResultEvent | PathDone]
    if ledger is not None:
        charger = UsageCharger(ledger)
        usage = _async_step(
            "charge_usage",
            usage_ticks,
            workers,
            lambda _worker: charger.charge_one,
            must_succeed=True,
        )
    else:
        usage = op.flat_map("skip_usage", usage_ticks, lambda _tick: [])

    transcribed: KeyedStream[Transcribed | StreamEnd]
    if config.live_stream:  # the provider hears the audio itself, as it arrives
        turn_audio = speakers is not None  # for the voiceprint of a new speaker label
        transcribed = op.stateful_batch(
            "transcribe",
            speech,
            lambda resume: _live_transcription(workers(), resume, turn_audio),
        )
    else:
        segments = cast(KeyedStream[SpeechSegment | StreamEnd], speech)
        transcribed = provider_step("transcribe", segments, workers, transcribe)
    transcribed = op.stateful_flat_map("new_words", transcribed, new_words)
    dubbing_call = dub
    if speakers is not None:
        transcribed = _with_speakers(
            "speakers", speech, transcribed, workers, speakers, config.live_stream
        )
        dubbing_call = dub_by_speaker
    transcripts = op.flat_map_value("transcript_events", transcribed, transcript_events)

    for_subtitles = op.filter_value("wants_subtitles", transcribed, _wants_subtitles)
    subtitled = provider_step(
        "translate_subtitles",
        for_subtitles,
        workers,
        functools.partial(translate, target_of=_subtitle_language),
    )
    subtitles = op.flat_map_value("subtitle_events", subtitled, subtitle_events)

    for_dubbing = op.filter_value("wants_dubbing", transcribed, _wants_dubbing)
    dubs = provider_step("dub", for_dubbing, workers, dubbing_call)

    outcomes: KeyedStream[Outcome] = op.merge(
        "outcomes", rejects, passthrough, usage, transcripts, subtitles, dubs
    )
    with_usage = ledger is not None
    finished = op.stateful("finish", outcomes, lambda resume: SessionFinisher(with_usage, resume))
    return op.key_rm("events", finished)


@dataclass(frozen=True)
class WorkerEngines:
    """One worker's speech engines and the loop their calls run on."""

    loop: WorkerLoop
    providers: SpeechProviders
    embedder: VoiceEmbedder | None = None


@operator
def provider_step(
    step_id: str,
    up: KeyedStream[X],
    workers: PerWorker[WorkerEngines],
    call: Callable[[SpeechProviders, X], Awaitable[list[Y]] | AsyncIterator[list[Y]]],
) -> KeyedStream[Y]:
    """`call` for each item on the worker's provider loop; results in each session's order."""
    return _async_step(
        "calls", up, workers, lambda worker: functools.partial(call, worker.providers)
    )


@operator
def _with_speakers(
    step_id: str,
    speech: KeyedStream[StreamItem],
    transcribed: KeyedStream[Transcribed | StreamEnd],
    workers: PerWorker[WorkerEngines],
    setup: SpeakerSetup,
    live_stream: bool,
) -> KeyedStream[Transcribed | StreamEnd]:
    """Each final's speaker.

    From its voiceprint, made beside its transcription; or (a streaming
    provider) from the turn's speaker label, a new label's turn embedded first.
    """
    if live_stream:
        # Only a new speaker label's turns are embedded, by the numbering step itself.
        def numbering(resume: SpeakersState | None) -> SessionSpeakers:
            worker = workers()
            return SessionSpeakers(
                setup, resume, waits=False, embedder=worker.embedder, loop=worker.loop
            )

        turns = cast(KeyedStream[Transcribed | StreamEnd | Voiceprint], transcribed)
        return op.stateful_batch("number", turns, numbering)
    finals = cast(KeyedStream[SpeechSegment], op.filter_value("finals", speech, wants_voiceprint))
    prints: KeyedStream[Voiceprint] = _async_step("voiceprints", finals, workers, _voiceprint_call)
    heard: KeyedStream[Transcribed | StreamEnd | Voiceprint] = op.merge(
        "heard", transcribed, prints
    )
    return op.stateful_batch("number", heard, lambda resume: SessionSpeakers(setup, resume))


def _voiceprint_call(worker: WorkerEngines) -> Call[SpeechSegment, Voiceprint]:
    assert worker.embedder is not None
    return functools.partial(voiceprint, worker.embedder)


def _async_step(
    step_id: str,
    up: KeyedStream[X],
    workers: PerWorker[WorkerEngines],
    call_for: Callable[[WorkerEngines], Call[X, Y]],
    must_succeed: bool = False,
) -> KeyedStream[Y]:
    """The call `call_for` the worker makes, for each item on the worker's loop."""

    def build(resume: list[X] | None) -> AsyncStage[X, Y]:
        worker = workers()
        return AsyncStage(call_for(worker), worker.loop, resume, must_succeed)

    return op.stateful_batch(step_id, up, build)


def _live_transcription(
    worker: WorkerEngines, resume: object, turn_audio: bool
) -> LiveTranscription:
    stt = worker.providers.stt
    if not isinstance(stt, StreamingSpeechToText):
        raise TypeError(f"{stt.name} does not stream; the segmenter should not have streamed")
    state = cast(LiveTranscriptionState | None, resume)
    return LiveTranscription(stt, worker.loop, state, turn_audio=turn_audio)


def _keyed_rejection(rejected: Rejected) -> tuple[str, Outcome]:
    event = rejected_event(rejected)
    return event.session_id, event


def _session_of(record: AudioRecord | Rejected) -> str:
    return record.session_id


def _usage_tick(item: SegmenterOutput) -> UsageTick | None:
    return item if isinstance(item, UsageTick) else None


def _segmenter_outcome(item: SegmenterOutput) -> ResultEvent | RouteChange | None:
    return item if isinstance(item, ResultEvent | RouteChange) else None


def _speech_or_end(item: SegmenterOutput) -> StreamItem | None:
    return item if isinstance(item, SpeechSegment | StreamAudio | StreamPause | StreamEnd) else None


def _wants_subtitles(item: Transcribed | StreamEnd) -> bool:
    settings = item.settings if isinstance(item, StreamEnd) else item.segment.settings
    return settings.live_subtitles


def _wants_dubbing(item: Transcribed | StreamEnd) -> bool:
    if isinstance(item, StreamEnd):
        return item.settings.audio_dubbing
    return item.segment.settings.audio_dubbing and item.segment.final


def _subtitle_language(item: Transcribed) -> str:
    return item.segment.settings.subtitle_target
