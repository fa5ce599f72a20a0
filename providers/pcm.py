"""PCM s16le mono: conversions, durations and streaming resampling (soxr).

Engines speak float32 or int16 at their own rates; the rest of livedub speaks
PCM s16le mono at a stated rate. Resampling is soxr's streaming resampler, so
chunk boundaries leave no clicks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import numpy.typing as npt
import soxr

from providers.base import SpeechChunk

SAMPLE_WIDTH = 2  # bytes per s16le sample


def duration_seconds(pcm: bytes, sample_rate: int) -> float:
    """How long a mono s16le buffer plays."""
    return len(pcm) / (SAMPLE_WIDTH * sample_rate)


def pcm_to_float(pcm: bytes) -> npt.NDArray[np.float32]:
    """s16le bytes -> float32 samples in [-1, 1) (what faster-whisper takes)."""
    usable = len(pcm) - len(pcm) % SAMPLE_WIDTH
    return np.frombuffer(pcm[:usable], dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm(samples: npt.NDArray[np.floating]) -> bytes:
    """Float samples in [-1, 1] -> s16le bytes, clipped."""
    scaled = np.clip(samples * 32767.0, -32768, 32767)
    return bytes(scaled.astype("<i2").tobytes())


class PcmResampler:
    """Resamples one continuous s16le mono stream, chunk by chunk.

    A stream is one utterance: feed its chunks in order with `push`, then call
    `flush` once. Odd trailing bytes (half a sample) are kept for the next chunk.
    """

    def __init__(self, in_rate: int, out_rate: int) -> None:
        self.in_rate = in_rate
        self.out_rate = out_rate
        self._carry = b""
        self._stream = (
            None
            if in_rate == out_rate
            else soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16")
        )

    def push(self, pcm: bytes) -> bytes:
        """Resample the next chunk; may return fewer samples until `flush`."""
        return self._convert(pcm, last=False)

    def flush(self) -> bytes:
        """The samples soxr still holds; call once at the end of the stream."""
        return self._convert(b"", last=True)

    def _convert(self, pcm: bytes, *, last: bool) -> bytes:
        data = self._carry + pcm
        usable = len(data) - len(data) % SAMPLE_WIDTH
        self._carry = data[usable:]
        samples = np.frombuffer(data[:usable], dtype="<i2")
        if self._stream is None:
            return samples.tobytes()
        out: npt.NDArray[np.int16] = self._stream.resample_chunk(samples, last=last)
        return out.astype("<i2").tobytes()


async def resampled_chunks(
    pcm_chunks: AsyncIterator[bytes], in_rate: int, out_rate: int
) -> AsyncIterator[SpeechChunk]:
    """An engine's PCM stream at `in_rate` -> SpeechChunks at `out_rate` (0: keep `in_rate`)."""
    resampler = PcmResampler(in_rate, out_rate or in_rate)
    async for pcm in pcm_chunks:
        if converted := resampler.push(pcm):
            yield SpeechChunk(converted, resampler.out_rate)
    if tail := resampler.flush():
        yield SpeechChunk(tail, resampler.out_rate)
