"""The audio the simulated viewers stream: generated English speech with known utterance ends."""

from __future__ import annotations

import asyncio
import dataclasses
import functools

import settings
from bench.clients import FRAME_MS, StreamPlan
from providers import registry

SENTENCES = (
    "Good evening, here is the news of the day.",
    "Tomorrow will be warm and sunny along the coast.",
    "The football match was postponed because of rain.",
)
GAP_MS = 1200
RATE = 16000


def speech_block(cfg: settings.Settings) -> tuple[bytes, tuple[int, ...]]:
    """The sentences (Piper, 16 kHz) each followed by a gap; where each one's speech ends (ms)."""
    tts = registry.text_to_speech(
        dataclasses.replace(cfg, tts_provider="piper", tts_sample_rate=RATE)
    )

    async def say(text: str) -> bytes:
        return b"".join([c.pcm async for c in tts.synthesize(text, "en", None)])

    gap = bytes(RATE * 2 * GAP_MS // 1000)
    pcm, ends = bytearray(gap), []
    for sentence in SENTENCES:
        pcm += asyncio.run(say(sentence))
        ends.append(len(pcm) // 32)
        pcm += gap
    return bytes(pcm), tuple(ends)


def looped_plan(
    block: tuple[bytes, tuple[int, ...]],
    seconds: float,
    source_language: str = "en",
    target_language: str = "es",
    phase_ms: int = 0,
) -> StreamPlan:
    """The block repeated to last about `seconds`, with every repetition's utterance ends.

    `phase_ms` starts the loop that far into the block (whole frames), as a
    viewer who tuned in later would hear it.
    """
    pcm, ends = block
    block_ms = len(pcm) // 32
    repeats = max(1, round(seconds * 1000 / block_ms))
    phase_ms = phase_ms % block_ms // FRAME_MS * FRAME_MS
    all_ends = tuple(
        shifted
        for r in range(repeats + 1)
        for end in ends
        if 0 < (shifted := r * block_ms + end - phase_ms) <= block_ms * repeats
    )
    return StreamPlan(
        # One more repetition than is sent, so every phase fits.
        source=_repeated(pcm, repeats + 1),
        speech_ends_ms=all_ends,
        source_language=source_language,
        target_language=target_language,
        start=phase_ms * 32,
        length=len(pcm) * repeats,
    )


@functools.lru_cache(maxsize=4)
def _repeated(pcm: bytes, times: int) -> bytes:
    """The block `times` over, built once for every viewer of a run."""
    return pcm * times
