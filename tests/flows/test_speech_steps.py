"""The translation cache (concurrent asks share a call, hits cost nothing, failures retried),
the dubbing step (translate, then speak, in one call, its audio out as it is spoken), and
what reaches translation (speech only, in the language heard, partials at a bounded rate)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace

from flows.items import PathDone, SpeechSegment, StreamEnd, Transcribed, Translated
from flows.speech_steps import (
    PartialThrottle,
    SpeechProviders,
    TranslationCache,
    TranslationOutcome,
    dub,
    new_words,
    transcribe,
    translate,
)
from providers.base import ProviderError, SpeechChunk, Transcript, Translation
from providers.noop import NoopSpeechToText, NoopTextToSpeech, NoopTranslator
from wire.audio import SessionSettings
from wire.errors import ErrorCode
from wire.events import ResultEvent

KEY = ("hello", "en", "es")


async def test_concurrent_asks_share_one_call_and_later_hits_are_free() -> None:
    cache, calls = TranslationCache(), []

    async def call() -> TranslationOutcome:
        calls.append(1)
        await asyncio.sleep(0.05)
        return Translation("hola", "en", "es"), None, 50.0

    first, second = await asyncio.gather(cache.get(KEY, call), cache.get(KEY, call))
    assert len(calls) == 1
    assert first[0] == second[0] == Translation("hola", "en", "es")
    assert (await cache.get(KEY, call))[2] == 0.0  # already there: no provider time
    assert len(calls) == 1


async def test_a_failure_is_not_kept() -> None:
    cache, outcomes = TranslationCache(), []
    failure: TranslationOutcome = (None, ProviderError(ErrorCode.PROVIDER_TIMEOUT, "slow"), 5.0)
    success: TranslationOutcome = (Translation("hola", "en", "es"), None, 5.0)
    answers = iter([failure, success])

    async def call() -> TranslationOutcome:
        return next(answers)

    outcomes.append(await cache.get(KEY, call))
    outcomes.append(await cache.get(KEY, call))
    assert outcomes[0][1] is not None and outcomes[1][0] is not None


async def test_with_no_room_only_calls_in_flight_are_shared() -> None:
    cache, calls = TranslationCache(size=0), []

    async def call() -> TranslationOutcome:
        calls.append(1)
        await asyncio.sleep(0.05)
        return Translation("hola", "en", "es"), None, 50.0

    first, second = await asyncio.gather(cache.get(KEY, call), cache.get(KEY, call))
    assert len(calls) == 1 and first == second
    assert (await cache.get(KEY, call))[2] == 50.0  # finished, not kept: asked (and paid) again
    assert len(calls) == 2


async def test_the_oldest_entry_goes_first() -> None:
    cache = TranslationCache(size=2)

    def answer(text: str) -> Callable[[], Awaitable[TranslationOutcome]]:
        async def call() -> TranslationOutcome:
            return Translation(text.upper(), "en", "es"), None, 1.0

        return call

    for text in ("a", "b", "c"):
        await cache.get((text, "en", "es"), answer(text))
    calls: list[str] = []

    async def counted() -> TranslationOutcome:
        calls.append("a")
        return Translation("A", "en", "es"), None, 1.0

    await cache.get(("a", "en", "es"), counted)
    assert calls == ["a"]  # evicted, so asked again


def _noop_providers(translator: NoopTranslator | None = None) -> SpeechProviders:
    languages = ["en", "es"]
    return SpeechProviders(
        NoopSpeechToText(languages), translator or NoopTranslator(), NoopTextToSpeech(languages)
    )


def _transcribed(text: str) -> Transcribed:
    settings = SessionSettings("s1", "u1", source_language="en", target_language="en")
    segment = SpeechSegment(settings, 4, bytes(3200), 1000, 2000, final=True)
    return Transcribed(segment, Transcript(text, "en"), provider_ms=30.0)


async def _all(events: AsyncIterator[list[ResultEvent | PathDone]]) -> list[ResultEvent | PathDone]:
    return [event async for batch in events for event in batch]


async def test_dubbing_speaks_the_translation_in_one_step() -> None:
    out = await _all(dub(_noop_providers(), _transcribed("Good evening everyone.")))
    assert all(isinstance(e, ResultEvent) and e.type == "audio" for e in out)
    chunks = [e for e in out if isinstance(e, ResultEvent)]
    # 22 characters of noop speech, 1.32 s: a tenth of a second first, then whole seconds.
    assert [e.chunk for e in chunks] == [0, 1, 2]
    assert [e.last_chunk for e in chunks] == [False, False, True]
    assert chunks[0].language == "en" and chunks[0].segment == 4
    assert all(e.provider_ms is not None and e.provider_ms >= 30.0 for e in chunks)
    assert len({e.id for e in chunks}) == 3


class _SlowVoice(NoopTextToSpeech):
    """Speech that arrives a tenth of a second at a time, each after a pause."""

    def __init__(self) -> None:
        super().__init__(["en", "es"], 16000)
        self.spoken = 0

    async def synthesize(
        self, text: str, language: str, voice: str | None
    ) -> AsyncIterator[SpeechChunk]:
        for _ in range(20):
            await asyncio.sleep(0.02)
            self.spoken += 1
            yield SpeechChunk(bytes(3200), 16000)


async def test_dubbed_audio_leaves_while_the_rest_is_still_being_spoken() -> None:
    voice = _SlowVoice()
    providers = replace(_noop_providers(), tts=voice)
    dubbing = dub(providers, _transcribed("Good evening."))
    first: list[ResultEvent | PathDone] = []
    while not first:
        first = await anext(dubbing)
    assert voice.spoken < 20  # out before the voice was done
    rest = await _all(dubbing)
    pieces = [e for e in [*first, *rest] if isinstance(e, ResultEvent)]
    assert [round(len(e.data or "") * 3 / 4 / 32000, 2) for e in pieces] == [0.1, 1.0, 0.9]
    assert pieces[-1].last_chunk and not any(e.last_chunk for e in pieces[:-1])


async def test_a_turn_after_the_first_numbers_its_audio_apart() -> None:
    item = _transcribed("Good evening everyone.")
    later = replace(item, segment=replace(item.segment, turn=2))
    first = [e for e in await _all(dub(_noop_providers(), item)) if isinstance(e, ResultEvent)]
    second = [e for e in await _all(dub(_noop_providers(), later)) if isinstance(e, ResultEvent)]
    assert not {e.id for e in first} & {e.id for e in second}
    assert {e.turn for e in second} == {2} and {e.turn for e in first} == {None}


async def test_a_failed_translation_is_the_dubs_error_and_a_stream_end_passes() -> None:
    class Failing(NoopTranslator):
        async def translate(self, *args: object, **kwargs: object) -> list[Translation]:
            raise ProviderError(ErrorCode.PROVIDER_UNAVAILABLE, "down")

    [error] = await _all(dub(_noop_providers(Failing()), _transcribed("Hello.")))
    assert isinstance(error, ResultEvent)
    assert (error.type, error.code) == ("error", ErrorCode.PROVIDER_UNAVAILABLE.value)
    settings = SessionSettings("s1", "u1")
    assert await _all(dub(_noop_providers(), StreamEnd(settings, 5))) == [
        PathDone(settings, "dubbing")
    ]


class _Heard(NoopSpeechToText):
    def __init__(self, text: str) -> None:
        super().__init__(["en", "he"])
        self.text = text

    async def transcribe(self, pcm: bytes, language: str, *, final: bool = True) -> Transcript:
        return Transcript(self.text, language, final=final)


async def test_sounds_and_loops_never_reach_a_transcript() -> None:
    settings = SessionSettings("s1", "u1", source_language="he", target_language="en")
    segment = SpeechSegment(settings, 0, bytes(3200), 0, 100, final=True)
    for heard, kept in [("[Music]", ""), ("ה" * 200, ""), ("[Music] שלום לכולם", "שלום לכולם")]:
        providers = replace(_noop_providers(), stt=_Heard(heard))
        [out] = await transcribe(providers, segment)
        assert isinstance(out, Transcribed) and out.transcript is not None
        assert out.transcript.text == kept


class _Recording(NoopTranslator):
    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []

    async def translate(
        self, texts: Sequence[str], source: str, target: str, *, glossary: str | None = None
    ) -> list[Translation]:
        self.pairs.append((source, target))
        return await super().translate(texts, source, target)


async def test_a_turn_heard_in_another_language_is_translated_from_it() -> None:
    translator = _Recording()
    settings = SessionSettings("s1", "u1", source_language="he", target_language="es")
    segment = SpeechSegment(settings, 0, b"", 0, 100, final=True)
    item = Transcribed(segment, Transcript("Breaking news.", "en"))
    [out] = await translate(_noop_providers(translator), item, target_of=lambda _: "es")
    assert isinstance(out, Translated) and translator.pairs == [("en", "es")]


async def test_partial_subtitles_are_translated_at_most_once_per_interval() -> None:
    translator = _Recording()
    providers = replace(_noop_providers(translator), partial_translations=PartialThrottle(0.2))
    settings = SessionSettings("s1", "u1", source_language="en", target_language="es")

    def partial(index: int) -> Transcribed:
        segment = SpeechSegment(settings, 0, b"", 0, 100, final=False, partial_index=index)
        return Transcribed(segment, Transcript("words " * index, "en", final=False))

    async def subtitles(item: Transcribed) -> int:
        return len(await translate(providers, item, target_of=lambda _: "es"))

    assert [await subtitles(partial(i)) for i in (1, 2, 3)] == [1, 0, 0]
    time.sleep(0.18)  # partials due each interval come a little early too
    assert await subtitles(partial(4)) == 1
    final = Transcribed(SpeechSegment(settings, 0, b"", 0, 100, final=True), Transcript("x", "en"))
    assert await subtitles(final) == 1  # finals always
    off = replace(providers, partial_translations=PartialThrottle(0))
    assert len(await translate(off, partial(5), target_of=lambda _: "es")) == 0


def test_a_partial_that_repeats_the_last_goes_no_further() -> None:
    settings = SessionSettings("s1", "u1", source_language="en", target_language="es")

    def heard(segment: int, text: str, final: bool = False) -> Transcribed:
        seg = SpeechSegment(settings, segment, b"", 0, 100, final=final)
        return Transcribed(seg, Transcript(text, "en", final=final))

    state = None
    passed: list[Transcribed] = []
    for item in (
        heard(0, "the news"),
        heard(0, "the news "),  # the same words
        heard(0, "the news tonight"),
        heard(0, "the news tonight", final=True),  # finals always pass
        heard(1, "the news tonight"),  # a new utterance's first words
        heard(1, "the news tonight"),
    ):
        state, out = new_words(state, item)
        passed.extend(i for i in out if isinstance(i, Transcribed))
    assert [(i.segment.segment, i.segment.final) for i in passed] == [
        (0, False),
        (0, False),
        (0, True),
        (1, False),
    ]


async def test_a_partial_shows_all_but_the_word_its_audio_was_cut_in() -> None:
    class Hears(NoopSpeechToText):
        async def transcribe(self, pcm: bytes, language: str, *, final: bool = True) -> Transcript:
            return Transcript("the prime min", language, final=final)

    providers = replace(_noop_providers(NoopTranslator()), stt=Hears(["en", "es"]))
    settings = SessionSettings("s1", "u1", source_language="en", target_language="es")
    texts = []
    for final in (False, True):
        segment = SpeechSegment(settings, 0, b"\0" * 3200, 0, 100, final=final)
        [heard] = await transcribe(providers, segment)
        assert isinstance(heard, Transcribed) and heard.transcript is not None
        texts.append(heard.transcript.text)
    assert texts == ["the prime", "the prime min"]  # a final is whole
