"""The provider steps of the dataflow, and the events made from their results.

Each step is a coroutine over one item, run by `flows.dataflow.provider_step`
on the worker's provider loop (see `flows.async_stage`); the event builders are
plain functions. Provider failures become `error` events for that segment and
the session goes on.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar, cast

import settings
from flows.items import PathDone, SpeechSegment, StreamEnd, Transcribed, Translated
from flows.transcription_queue import TranscriptionQueue
from providers import registry
from providers.base import (
    ProviderError,
    SpeechChunk,
    SpeechToText,
    TextToSpeech,
    Transcript,
    Translation,
    Translator,
)
from providers.deadlines import stream_within
from providers.speech_text import spoken
from wire.errors import ErrorCode
from wire.events import AudioFormat, EventType, ResultEvent, error_event, event_id

log = logging.getLogger(__name__)
T = TypeVar("T")

# Dubbed speech leaves in pieces as it is spoken: a short first one, so the
# viewer hears it soon, then pieces of a second (each an event on the way).
FIRST_AUDIO_PIECE_SECONDS = 0.1
AUDIO_PIECE_SECONDS = 1.0


class PartialThrottle:
    """At most one partial subtitle translated per session per interval (0: none at all).

    Translation is billed per character, and a streaming provider's partials
    grow word by word: translating each would pay for most words many times.
    """

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._last: dict[str, float] = {}

    def due(self, session_id: str) -> bool:
        """Whether this session's partial may be translated now (and note that it is)."""
        if self.interval_s <= 0:
            return False
        now = time.monotonic()
        # Partials due once an interval arrive a little early or late: one early
        # by a few milliseconds still counts, or every other would be skipped.
        if now - self._last.get(session_id, -self.interval_s) < self.interval_s * 0.8:
            return False
        self._last[session_id] = now
        return True

    def forget(self, session_id: str) -> None:
        """The session is over."""
        self._last.pop(session_id, None)


TranslationOutcome = tuple[Translation | None, ProviderError | None, float]


class TranslationCache:
    """Translations by (text, source, target), finished or in flight, least recently used out.

    The subtitle and dubbing paths often want the same translation at the same
    moment: the second waits for the first call instead of making its own.
    `size` finished ones are kept (0: none, only calls in flight are shared).
    Failures are not kept. Used on one event loop only.
    """

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[tuple[str, str, str], asyncio.Task[TranslationOutcome]] = (
            OrderedDict()
        )
        self._size = size

    async def get(
        self, key: tuple[str, str, str], call: Callable[[], Awaitable[TranslationOutcome]]
    ) -> TranslationOutcome:
        """The cached (or in-flight) outcome for `key`, else `call()`'s, remembered if it worked."""
        task = self._items.get(key)
        cached = task is not None and task.done()
        if task is None:
            task = asyncio.ensure_future(call())
            self._items[key] = task
        self._items.move_to_end(key)
        # The newest entry stays whatever the size: the other path may be about to ask.
        while len(self._items) > max(self._size, 1):
            self._items.popitem(last=False)
        translation, error, took = await asyncio.shield(task)
        if translation is None or self._size == 0:
            self._items.pop(key, None)
        # A translation made earlier cost this segment nothing.
        return translation, error, 0.0 if cached else took


@dataclass(frozen=True)
class SpeechProviders:
    """The three engines a flow uses, and the guard timeout around each call."""

    stt: SpeechToText
    translator: Translator
    tts: TextToSpeech
    timeout_s: float = 20.0
    # The subtitle and dubbing paths often ask for the same translation.
    translations: TranslationCache = field(default_factory=lambda: TranslationCache())
    partial_translations: PartialThrottle = field(default_factory=lambda: PartialThrottle(1.0))
    # How many segments the speech-to-text engine takes at once; the rest wait their
    # turn in `transcriptions`: finals first, partials fairly behind them.
    transcription_slots: int = registry.UNBOUNDED_SLOTS
    transcriptions: TranscriptionQueue = field(init=False)

    def __post_init__(self) -> None:
        queue = TranscriptionQueue(self.stt, self.transcription_slots)
        object.__setattr__(self, "transcriptions", queue)  # frozen: set once, here

    @classmethod
    def from_settings(cls, cfg: settings.Settings) -> SpeechProviders:
        """The engines named by configuration (models load once per process, lazily)."""
        return cls(
            stt=registry.speech_to_text(cfg),
            translator=registry.translator(cfg),
            tts=registry.text_to_speech(cfg),
            timeout_s=cfg.provider_timeout_seconds * 2,  # providers time out first, this guards
            translations=TranslationCache(cfg.translation_cache_size),
            partial_translations=PartialThrottle(cfg.partial_translation_interval_ms / 1000),
            transcription_slots=registry.transcription_slots(cfg),
        )


async def _guarded(
    call: Callable[[], Awaitable[T]], timeout_s: float
) -> tuple[T | None, ProviderError | None, float]:
    """Await a provider call; map every failure to a ProviderError; measure its time."""
    started = time.perf_counter()
    try:
        result = await asyncio.wait_for(call(), timeout_s)
    except Exception as exc:  # an engine bug must not stop other sessions
        return None, _provider_failure(exc), _ms_since(started)
    return result, None, _ms_since(started)


def _provider_failure(exc: Exception) -> ProviderError:
    """What a failed provider call reports: its own error, a timeout, or an engine bug."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, TimeoutError):
        return ProviderError(ErrorCode.PROVIDER_TIMEOUT, "provider call timed out")
    log.exception("provider call failed", exc_info=exc)
    return ProviderError(ErrorCode.PROVIDER_UNAVAILABLE, f"provider failed: {type(exc).__name__}")


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


# -- speech-to-text --------------------------------------------------------------


async def transcribe(
    providers: SpeechProviders, item: SpeechSegment | StreamEnd
) -> list[Transcribed | StreamEnd]:
    """Transcribe one segment (a stream's end passes through).

    Finals go to the engine first; a partial waits its turn behind them and
    may lose it to a newer one (`flows.transcription_queue`): it then gives nothing.
    """
    if isinstance(item, StreamEnd):
        return [item]
    queue = providers.transcriptions
    heard, error, _ = await _guarded(lambda: queue.transcribe(item), providers.timeout_s)
    if heard is None and error is None:
        return []  # a partial whose turn never came
    transcript, took = heard if heard is not None else (None, 0.0)
    if transcript is not None:
        transcript = spoken(transcript)
        if not item.final:
            transcript = settled(transcript)
    return [Transcribed(item, transcript, error, took)]


def settled(partial: Transcript) -> Transcript:
    """A partial without its last word, unless that is its only one.

    A partial's audio is cut wherever the speech had got to, mostly inside a
    word, and Whisper guesses at that word: on nine news sentences cut as the
    segmenter cuts them (`python -m bench.partial_words`), a later partial
    replaced 8.5 % of the words shown, 6.2 % without each partial's last, and
    the first words came as soon.
    """
    said = partial.text.split()
    if len(said) < 2:
        return partial
    return replace(partial, text=" ".join(said[:-1]), words=partial.words[:-1])


def new_words(
    last: tuple[int, int, str] | None, item: Transcribed | StreamEnd
) -> tuple[tuple[int, int, str] | None, list[Transcribed | StreamEnd]]:
    """Drop a partial that says what the session's previous partial said (keyed by session).

    It would cost a translation and a repaint for nothing. The state is the last
    partial's (segment, turn, text); a final or the stream's end clears it.
    """
    if isinstance(item, StreamEnd) or item.segment.final or item.transcript is None:
        return None, [item]
    heard = (item.segment.segment, item.segment.turn, item.transcript.text.strip())
    if heard == last:
        return last, []
    return heard, [item]


def transcript_events(item: Transcribed | StreamEnd) -> list[ResultEvent | PathDone]:
    """The `transcript` event (or its error) for a segment; the path's end marker."""
    if isinstance(item, StreamEnd):
        return [PathDone(item.settings, "transcript")]
    seg = item.segment
    if item.error is not None:
        return [_provider_error(seg, item.error, f"stt-{seg.part}")]
    if item.transcript is None or not item.transcript.text.strip():
        return []
    text, language = item.transcript.text.strip(), item.transcript.language
    return [_text_event("transcript", seg, text, language, item.provider_ms)]


def _provider_error(seg: SpeechSegment, error: ProviderError, part: str) -> ResultEvent:
    sid = seg.settings.session_id
    return error_event(sid, ErrorCode(error.code), str(error), seg.segment, part)


def _text_event(
    kind: EventType,
    seg: SpeechSegment,
    text: str,
    language: str,
    provider_ms: float,
    untranslated: bool | None = None,
) -> ResultEvent:
    """A transcript or subtitle event for a segment (a partial's is replaced by later ones)."""
    sid = seg.settings.session_id
    return ResultEvent(
        type=kind,
        id=event_id(sid, seg.segment, kind, seg.part),
        session_id=sid,
        segment=seg.segment,
        data=text,
        start_ms=seg.start_ms,
        end_ms=seg.end_ms,
        language=language,
        final=seg.final,
        untranslated=untranslated,
        speaker=seg.speaker,
        source_ingress_ms=seg.source_ingress_ms or None,
        segmented_ms=seg.segmented_ms or None,
        provider_ms=round(provider_ms, 1),
    )


# -- translation ----------------------------------------------------------------------


async def _translate_one(
    providers: SpeechProviders, text: str, source: str, target: str
) -> TranslationOutcome:
    async def call() -> TranslationOutcome:
        result, error, took = await _guarded(
            lambda: providers.translator.translate([text], source, target), providers.timeout_s
        )
        return (result[0] if result else None), error, took

    return await providers.translations.get((text, source, target), call)


async def translate(
    providers: SpeechProviders,
    item: Transcribed | StreamEnd,
    *,
    target_of: Callable[[Transcribed], str],
) -> list[Translated | StreamEnd]:
    """Translate a transcribed segment to the language `target_of` picks for it."""
    if isinstance(item, StreamEnd):
        providers.partial_translations.forget(item.session_id)
        return [item]
    text = item.transcript.text.strip() if item.transcript else ""
    if not text:
        return [Translated(item)]
    if not item.segment.final and not providers.partial_translations.due(item.session_id):
        return []
    target = target_of(item)
    # A turn heard in another language than the session's is translated from that one.
    source = item.transcript.language if item.transcript else item.segment.settings.source_language
    result, error, took = await _translate_one(providers, text, source, target)
    if result is None:
        assert error is not None
        return [Translated(item, errors={target: error}, provider_ms=took)]
    return [Translated(item, translations={target: result}, provider_ms=took)]


def subtitle_events(item: Translated | StreamEnd) -> list[ResultEvent | PathDone]:
    """The `subtitle` event for a segment in the session's subtitle language."""
    if isinstance(item, StreamEnd):
        return [PathDone(item.settings, "subtitles")]
    seg = item.transcribed.segment
    target = seg.settings.subtitle_target
    if target in item.errors:
        return [_provider_error(seg, item.errors[target], f"subtitle-{seg.part}")]
    translation = item.translations.get(target)
    if translation is None:
        return []
    # Untranslated text is still in the source language: say so, never mislabel it.
    untranslated = translation.untranslated
    language = translation.source_language if untranslated else translation.target_language
    provider_ms = item.transcribed.provider_ms + item.provider_ms
    return [_text_event("subtitle", seg, translation.text, language, provider_ms, untranslated)]


# -- text-to-speech ---------------------------------------------------------------------


async def synthesize(
    providers: SpeechProviders, item: Translated | StreamEnd
) -> AsyncIterator[list[ResultEvent | PathDone]]:
    """Speak a final segment's translation; its audio leaves in pieces as it is spoken."""
    if isinstance(item, StreamEnd):
        yield [PathDone(item.settings, "dubbing")]
        return
    seg = item.transcribed.segment
    target = seg.settings.target_language
    if target in item.errors:
        yield [_provider_error(seg, item.errors[target], "dub-translate")]
        return
    translation = item.translations.get(target)
    if translation is None:
        return
    if translation.untranslated and target != translation.source_language:
        # Speaking the source text in the target voice would be wrong speech, not a dub.
        unsupported = ProviderError(
            ErrorCode.LANGUAGE_UNSUPPORTED,
            f"no translation engine for {translation.source_language}->{target}; "
            "segment not dubbed",
        )
        yield [_provider_error(seg, unsupported, "dub")]
        return
    spent_before = item.transcribed.provider_ms + item.provider_ms
    pieces = DubPieces(seg, target)
    started = time.perf_counter()
    speech = providers.tts.synthesize(translation.text, target, seg.settings.voice)
    chunks = _guarded_stream(speech, providers.timeout_s)
    try:
        async for chunk in chunks:
            yield pieces.add(chunk, spent_before + _ms_since(started))
    except ProviderError as error:
        yield [_provider_error(seg, error, "tts")]
    yield pieces.finish(spent_before + _ms_since(started))


async def _guarded_stream(
    chunks: AsyncIterator[SpeechChunk], timeout_s: float
) -> AsyncGenerator[SpeechChunk, None]:
    """A provider's speech, each chunk bounded by the guard timeout, failures as ProviderError."""
    speech = cast(AsyncGenerator[SpeechChunk, None], chunks)  # every engine's is a generator
    try:
        async for chunk in stream_within(speech, timeout_s, "speech synthesis"):
            yield chunk
    except Exception as exc:
        raise _provider_failure(exc) from None


async def dub(
    providers: SpeechProviders, item: Transcribed | StreamEnd
) -> AsyncIterator[list[ResultEvent | PathDone]]:
    """Translate a final segment into the session's target language and speak it.

    One step for both: the translation is for the voice alone, so handing it back
    to the worker between the two calls would only add a hop to every dub.
    """
    for translated in await translate(providers, item, target_of=_dubbing_language):
        async for events in synthesize(providers, translated):
            yield events


def _dubbing_language(item: Transcribed) -> str:
    return item.segment.settings.target_language


class DubPieces:
    """A segment's dubbed speech cut into audio events as it arrives.

    The cuts fall at fixed times (a short first piece, then whole seconds), so
    the same speech always makes the same events; each piece waits until speech
    after it has come, so that the last one can say it is the last.
    """

    def __init__(self, seg: SpeechSegment, language: str) -> None:
        self.seg = seg
        self.language = language
        self.pcm = bytearray()
        self.rate = 0
        self.index = 0

    def _size(self) -> int:
        seconds = FIRST_AUDIO_PIECE_SECONDS if self.index == 0 else AUDIO_PIECE_SECONDS
        return int(self.rate * seconds) * 2

    def add(self, chunk: SpeechChunk, provider_ms: float) -> list[ResultEvent | PathDone]:
        """The pieces this chunk completes (each followed by more speech)."""
        self.rate = self.rate or chunk.sample_rate
        self.pcm += chunk.pcm
        out: list[ResultEvent | PathDone] = []
        while len(self.pcm) > self._size():
            out.append(self._piece(self._size(), provider_ms, last=False))
        return out

    def finish(self, provider_ms: float) -> list[ResultEvent | PathDone]:
        """The last piece, whatever its length."""
        if not self.pcm:
            return []
        return [self._piece(len(self.pcm), provider_ms, last=True)]

    def _piece(self, size: int, provider_ms: float, *, last: bool) -> ResultEvent:
        seg = self.seg
        piece, self.pcm = bytes(self.pcm[:size]), self.pcm[size:]
        sid = seg.settings.session_id
        part = f"t{seg.turn}.{self.index}" if seg.turn else self.index
        event = ResultEvent(
            type="audio",
            id=event_id(sid, seg.segment, "audio", part),
            session_id=sid,
            segment=seg.segment,
            data=base64.b64encode(piece).decode(),
            start_ms=seg.start_ms,
            end_ms=seg.end_ms,
            language=self.language,
            format=AudioFormat(sample_rate=self.rate),
            chunk=self.index,
            last_chunk=last,
            turn=seg.turn or None,
            speaker=seg.speaker,
            source_ingress_ms=seg.source_ingress_ms or None,
            segmented_ms=seg.segmented_ms or None,
            provider_ms=round(provider_ms, 1),
        )
        self.index += 1
        return event
