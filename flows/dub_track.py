"""The dubbed audio track: each segment's speech placed at its cue time.

Speech that would overlap the next segment starts right after the previous one
instead (never talking over itself). With `mix`, the original plays underneath,
ducked while the dub speaks.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soxr

from wire.events import ResultEvent

Audio = npt.NDArray[np.float32]


@dataclass(frozen=True)
class DubbedSegment:
    """One segment's speech (float32 mono at the track's rate) and its cue start."""

    start_ms: int
    audio: Audio


def collect_segments(events: list[ResultEvent], rate: int) -> list[DubbedSegment]:
    """Join each segment's audio chunks in order and resample them to the track's rate."""
    chunks: dict[int, list[ResultEvent]] = {}
    for event in events:
        if event.type == "audio" and event.data:
            chunks.setdefault(event.segment, []).append(event)
    segments = []
    for number in sorted(chunks):
        parts = sorted(chunks[number], key=lambda e: (e.turn or 0, e.chunk or 0))
        pcm = b"".join(base64.b64decode(e.data or "") for e in parts)
        source_rate = parts[0].format.sample_rate if parts[0].format else rate
        audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        if source_rate != rate:
            audio = soxr.resample(audio, source_rate, rate).astype(np.float32)
        segments.append(DubbedSegment(parts[0].start_ms or 0, audio))
    return segments


def build_track(
    segments: list[DubbedSegment],
    rate: int,
    duration_s: float,
    original: Audio | None = None,
    duck_gain: float = 0.25,
) -> Audio:
    """Lay the segments on a silent track as long as the input (longer if speech runs over)."""
    placed: list[tuple[int, Audio]] = []
    cursor = 0
    for seg in segments:
        start = max(seg.start_ms * rate // 1000, cursor)
        placed.append((start, seg.audio))
        cursor = start + len(seg.audio)
    length = max(int(duration_s * rate), cursor)
    dub = np.zeros(length, dtype=np.float32)
    speaking = np.zeros(length, dtype=bool)
    for start, audio in placed:
        dub[start : start + len(audio)] += audio
        speaking[start : start + len(audio)] = True
    if original is None:
        return np.clip(dub, -1.0, 1.0)
    bed = np.zeros(length, dtype=np.float32)
    bed[: min(length, len(original))] = original[:length]
    gain = np.where(speaking, duck_gain, 1.0).astype(np.float32)
    ramp = max(1, rate // 20)  # 50 ms fades: a hard gain switch clicks
    gain = np.convolve(gain, np.ones(ramp, dtype=np.float32) / ramp, mode="same").astype(np.float32)
    return np.clip(dub + bed * gain, -1.0, 1.0)
