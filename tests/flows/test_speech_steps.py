"""The translation cache: concurrent asks share a call, hits cost nothing, failures retried."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from flows.speech_steps import TranslationCache, TranslationOutcome
from providers.base import ProviderError, Translation
from wire.errors import ErrorCode

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
