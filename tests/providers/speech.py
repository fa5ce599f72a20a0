"""Helpers for judging speech: word error rate, loudness, collecting synthesized chunks."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

import numpy as np
import pytest

from providers.base import ProviderError, SpeechChunk, TextToSpeech
from providers.word_errors import word_error_rate, words
from wire.errors import ErrorCode

T = TypeVar("T")

__all__ = [
    "ENGLISH",
    "assert_a_stall_is_provider_timeout",
    "assert_speaks_off_the_loop",
    "collect_speech",
    "longest_loop_stall",
    "rms_dbfs",
    "word_error_rate",
    "words",
]

# Plain sentences without numbers (which Whisper writes as digits).
ENGLISH = (
    "The quick brown fox jumps over the lazy dog.",
    "Good evening and welcome to the news from Jerusalem.",
    "The weather will be warm and sunny across the country tomorrow.",
    "Please remember to turn off your phone before the show begins.",
    "She opened the window and looked at the children playing outside.",
)


def rms_dbfs(pcm: bytes) -> float:
    """Loudness of s16le audio in dB relative to full scale."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    rms = math.sqrt(float(np.mean(samples**2))) if samples.size else 0.0
    return 20 * math.log10(rms) if rms else -math.inf


async def collect_speech(chunks: AsyncIterator[SpeechChunk]) -> tuple[bytes, int, int]:
    """Join a speech stream: (pcm, its one sample rate, number of chunks)."""
    pcm, rates, count = b"", set(), 0
    async for chunk in chunks:
        assert len(chunk.pcm) % 2 == 0, "a chunk split a sample"
        pcm += chunk.pcm
        rates.add(chunk.sample_rate)
        count += 1
    assert len(rates) <= 1, f"one stream, several rates: {rates}"
    return pcm, rates.pop() if rates else 0, count


async def longest_loop_stall(work: Awaitable[T]) -> tuple[T, float]:
    """Run `work` while a 10 ms ticker runs; how long the event loop was ever held."""
    loop = asyncio.get_running_loop()
    gaps: list[float] = []

    async def tick() -> None:
        last = loop.time()
        while True:
            await asyncio.sleep(0.01)
            gaps.append(loop.time() - last)
            last = loop.time()

    ticker = asyncio.create_task(tick())
    try:
        result = await work
    finally:
        ticker.cancel()
    assert len(gaps) > 10, "the work was too short to tell"
    return result, max(gaps)


async def assert_speaks_off_the_loop(tts: TextToSpeech, text: str, language: str) -> None:
    """Three syntheses at once: the same speech each time, the event loop never held 0.25 s."""
    spoken, stall = await longest_loop_stall(
        asyncio.gather(*(collect_speech(tts.synthesize(text, language, None)) for _ in range(3)))
    )
    assert len({pcm for pcm, _, _ in spoken}) == 1
    assert stall < 0.25


async def assert_a_stall_is_provider_timeout(tts: TextToSpeech, text: str, language: str) -> None:
    """`tts` (built with a tiny timeout) fails the call with provider_timeout."""
    with pytest.raises(ProviderError) as raised:
        await collect_speech(tts.synthesize(text, language, None))
    assert raised.value.code is ErrorCode.PROVIDER_TIMEOUT
