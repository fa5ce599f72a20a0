"""The audio the simulated viewers stream: generated English speech with known utterances."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Programme:
    """A block of audio and where each utterance's speech starts and ends in it (ms)."""

    pcm: bytes
    starts_ms: tuple[int, ...]
    ends_ms: tuple[int, ...]


def speech_block(cfg: settings.Settings) -> Programme:
    """The sentences (Piper, 16 kHz) each after a gap: where each one's speech starts and ends."""
    tts = registry.text_to_speech(
        dataclasses.replace(cfg, tts_provider="piper", tts_sample_rate=RATE)
    )

    async def say(text: str) -> bytes:
        return b"".join([c.pcm async for c in tts.synthesize(text, "en", None)])

    gap = bytes(RATE * 2 * GAP_MS // 1000)
    pcm, starts, ends = bytearray(gap), [], []
    for sentence in SENTENCES:
        starts.append(len(pcm) // 32)
        pcm += asyncio.run(say(sentence))
        ends.append(len(pcm) // 32)
        pcm += gap
    return Programme(bytes(pcm), tuple(starts), tuple(ends))


def looped_plan(
    block: Programme,
    seconds: float,
    source_language: str = "en",
    target_language: str = "es",
    phase_ms: int = 0,
) -> StreamPlan:
    """The block repeated to last about `seconds`, with every repetition's utterance ends.

    `phase_ms` starts the loop that far into the block (whole frames), as a
    viewer who tuned in later would hear it.
    """
    pcm = block.pcm
    block_ms = len(pcm) // 32
    repeats = max(1, round(seconds * 1000 / block_ms))
    phase_ms = phase_ms % block_ms // FRAME_MS * FRAME_MS
    # Every utterance the viewer hears whole, starts and ends on its own timeline.
    heard = [
        (r * block_ms + start - phase_ms, r * block_ms + end - phase_ms)
        for r in range(repeats + 1)
        for start, end in zip(block.starts_ms, block.ends_ms, strict=True)
    ]
    whole = [(s, e) for s, e in heard if s >= 0 and e <= block_ms * repeats]
    return StreamPlan(
        # One more repetition than is sent, so every phase fits.
        source=_repeated(pcm, repeats + 1),
        speech_ends_ms=tuple(
            shifted
            for r in range(repeats + 1)
            for end in block.ends_ms
            if 0 < (shifted := r * block_ms + end - phase_ms) <= block_ms * repeats
        ),
        speech_starts_ms=tuple(start for start, _ in whole),
        source_language=source_language,
        target_language=target_language,
        start=phase_ms * 32,
        length=len(pcm) * repeats,
    )


@functools.lru_cache(maxsize=4)
def _repeated(pcm: bytes, times: int) -> bytes:
    """The block `times` over, built once for every viewer of a run."""
    return pcm * times
