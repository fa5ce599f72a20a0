"""The livedub dataflow, read top to bottom as the data moves.

    audio records ─ key by session ─ segment (order, dedupe, VAD, usage)
        ├─ usage ticks ─ charge usage ───────────────────────────────┐
        └─ speech segments ─ speech-to-text ─ transcript events ─────┤
               ├─ [subtitles] translate(subtitle language) ─ subtitle events ─┤
               └─ [dubbing] translate(target language) ─ text-to-speech ─ audio events ─┤
    all events ─ key by session ─ route and finish (`ended` after the last event) ─ out

`process_audio` is that middle part, shared by the live flow (Kafka in, Kafka
out, see `flows.live`) and the file mode (`just dub`, see `flows.dub_file`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import cast

import bytewax.operators as op
from bytewax.dataflow import Stream, operator

from flows.concurrency import PerWorker
from flows.decode import Rejected, is_record, rejected_event
from flows.finish import Routed, SessionFinisher
from flows.items import PathDone, RouteChange, SpeechSegment, StreamEnd, Transcribed, UsageTick
from flows.segmenter import SegmenterConfig, SegmenterOutput, SessionSegmenter
from flows.speech_steps import (
    SpeechProviders,
    TranslationCache,
    subtitle_events,
    synthesize,
    transcribe,
    transcript_events,
    translate_to,
)
from flows.usage_step import UsageCharger, UsageLedger
from wire.audio import AudioRecord
from wire.events import ResultEvent

Outcome = ResultEvent | PathDone | RouteChange


@operator
def process_audio(
    step_id: str,
    records: Stream[AudioRecord | Rejected],
    providers: Callable[[], SpeechProviders],
    ledger: UsageLedger | None,
    config: SegmenterConfig,
) -> Stream[Routed]:
    """Audio records in; each session's events out with their partition, `ended` last.

    `providers` builds the speech engines; each worker thread builds its own.
    """
    engines = PerWorker(providers)
    valid = op.branch("is_record", records, is_record)
    # `branch` narrows only its true side; the false side holds just the rejections.
    rejects = op.map("rejected_events", cast(Stream[Rejected], valid.falses), rejected_event)
    by_session = op.key_on("by_session", valid.trues, _session_of)
    segmented = op.key_rm(
        "segmented",
        op.stateful_batch("segment", by_session, lambda resume: SessionSegmenter(config, resume)),
    )

    usage_ticks = op.filter_map("usage_ticks", segmented, _usage_tick)
    speech = op.filter_map("speech", segmented, _speech_or_end)
    passthrough = op.filter_map("segmenter_outcomes", segmented, _segmenter_outcome)
    usage: Stream[Outcome] = (
        op.flat_map_batch("charge_usage", usage_ticks, UsageCharger(ledger).charge)
        if ledger is not None
        else op.flat_map("skip_usage", usage_ticks, lambda _tick: [])
    )

    transcribed = op.flat_map_batch("transcribe", speech, functools.partial(transcribe, engines))
    transcripts = op.flat_map("transcript_events", transcribed, transcript_events)

    cache = TranslationCache()
    for_subtitles = op.filter("wants_subtitles", transcribed, _wants_subtitles)
    subtitled = op.flat_map_batch(
        "translate_subtitles",
        for_subtitles,
        functools.partial(translate_to, engines, cache, target_of=_subtitle_language),
    )
    subtitles = op.flat_map("subtitle_events", subtitled, subtitle_events)

    for_dubbing = op.filter("wants_dubbing", transcribed, _wants_dubbing)
    dub_texts = op.flat_map_batch(
        "translate_for_dubbing",
        for_dubbing,
        functools.partial(translate_to, engines, cache, target_of=_dubbing_language),
    )
    dubs = op.flat_map_batch("synthesize", dub_texts, functools.partial(synthesize, engines))

    outcomes: Stream[Outcome] = op.merge(
        "outcomes", rejects, passthrough, usage, transcripts, subtitles, dubs
    )
    with_usage = ledger is not None
    finished = op.stateful(
        "finish",
        op.key_on("outcomes_by_session", outcomes, _outcome_session),
        lambda resume: SessionFinisher(with_usage, resume),
    )
    return op.key_rm("events", finished)


def _session_of(record: AudioRecord | Rejected) -> str:
    return record.session_id


def _usage_tick(item: SegmenterOutput) -> UsageTick | None:
    return item if isinstance(item, UsageTick) else None


def _segmenter_outcome(item: SegmenterOutput) -> ResultEvent | RouteChange | None:
    return item if isinstance(item, ResultEvent | RouteChange) else None


def _speech_or_end(item: SegmenterOutput) -> SpeechSegment | StreamEnd | None:
    return item if isinstance(item, SpeechSegment | StreamEnd) else None


def _wants_subtitles(item: Transcribed | StreamEnd) -> bool:
    settings = item.settings if isinstance(item, StreamEnd) else item.segment.settings
    return settings.live_subtitles


def _wants_dubbing(item: Transcribed | StreamEnd) -> bool:
    if isinstance(item, StreamEnd):
        return item.settings.audio_dubbing
    return item.segment.settings.audio_dubbing and item.segment.final


def _subtitle_language(item: Transcribed) -> str:
    return item.segment.settings.subtitle_target


def _dubbing_language(item: Transcribed) -> str:
    return item.segment.settings.target_language


def _outcome_session(item: Outcome) -> str:
    return item.session_id if isinstance(item, ResultEvent) else item.settings.session_id
