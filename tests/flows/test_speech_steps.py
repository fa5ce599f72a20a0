"""The translation cache (concurrent asks share a call, hits cost nothing, failures retried)
and the dubbing step (translate, then speak, in one call)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from flows.items import PathDone, SpeechSegment, StreamEnd, Transcribed
from flows.speech_steps import SpeechProviders, TranslationCache, TranslationOutcome, dub
from providers.base import ProviderError, Transcript, Translation
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


async def test_dubbing_speaks_the_translation_in_one_step() -> None:
    out = await dub(_noop_providers(), _transcribed("Good evening everyone."))
    assert all(isinstance(e, ResultEvent) and e.type == "audio" for e in out)
    chunks = [e for e in out if isinstance(e, ResultEvent)]
    assert [e.chunk for e in chunks] == [0, 1]  # 22 characters of noop speech: 1.32 s
    assert chunks[-1].last_chunk and chunks[0].language == "en" and chunks[0].segment == 4
    assert all(e.provider_ms is not None and e.provider_ms >= 30.0 for e in chunks)


async def test_a_failed_translation_is_the_dubs_error_and_a_stream_end_passes() -> None:
    class Failing(NoopTranslator):
        async def translate(self, *args: object, **kwargs: object) -> list[Translation]:
            raise ProviderError(ErrorCode.PROVIDER_UNAVAILABLE, "down")

    [error] = await dub(_noop_providers(Failing()), _transcribed("Hello."))
    assert isinstance(error, ResultEvent)
    assert (error.type, error.code) == ("error", ErrorCode.PROVIDER_UNAVAILABLE.value)
    settings = SessionSettings("s1", "u1")
    assert await dub(_noop_providers(), StreamEnd(settings, 5)) == [PathDone(settings, "dubbing")]
