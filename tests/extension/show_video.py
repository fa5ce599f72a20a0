"""A TV show for the browser tests: English speech, and a picture that says which frame it is.

Each frame shows its own number in binary as a row of black and white blocks
across the top (as extension/e2e/frame-code.ts draws and reads it), so a test
reading pixels off the screen knows which moment of the programme is shown, and
how far behind the video's own position it is.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import soxr

from tests.support.speech import RATE, silence, speak

FPS = 25
WIDTH, HEIGHT = 320, 180
BITS = 12  # frame numbers up to 4095: 163 s at 25 fps
BLOCK = WIDTH // BITS
AUDIO_RATE = 48000


@dataclass(frozen=True)
class Utterance:
    """Where one sentence is spoken in the programme (seconds)."""

    text: str
    start_s: float
    end_s: float


def picture(index: int) -> np.ndarray:
    """Frame `index`: its number in BLOCK-wide blocks (bit 0 first), a grey body."""
    frame = np.full((HEIGHT, WIDTH, 3), 60, dtype=np.uint8)
    frame[:40] = 0
    for bit in range(BITS):
        if index >> bit & 1:
            frame[4:36, bit * BLOCK + 2 : (bit + 1) * BLOCK - 2] = 255
    return frame


def write_show(path: Path, sentences: tuple[str, ...], gap_ms: int) -> list[Utterance]:
    """A WebM (VP8 and Opus) of the sentences with gaps; where each is spoken."""
    parts, spoken, at = [silence(gap_ms)], [], gap_ms / 1000
    for text in sentences:
        speech = speak(text)
        seconds = len(speech) / 2 / RATE
        spoken.append(Utterance(text, round(at, 3), round(at + seconds, 3)))
        parts += [speech, silence(gap_ms)]
        at += seconds + gap_ms / 1000
    pcm = np.frombuffer(b"".join(parts), dtype="<i2").astype(np.float32) / 32768
    audio = soxr.resample(pcm, RATE, AUDIO_RATE)
    with av.open(str(path), "w", format="webm") as container:
        video = container.add_stream("libvpx", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"deadline": "realtime", "cpu-used": "8", "crf": "10", "b": "1M"}
        sound = container.add_stream("libopus", rate=AUDIO_RATE)
        sound.layout = "mono"
        for index in range(int(len(audio) / AUDIO_RATE * FPS)):
            frame = av.VideoFrame.from_ndarray(picture(index), format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, FPS)
            container.mux(video.encode(frame))
        block = AUDIO_RATE // 50
        for start in range(0, len(audio), block):
            chunk = audio[start : start + block].reshape(1, -1).astype(np.float32)
            samples = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            samples.sample_rate, samples.pts = AUDIO_RATE, start
            container.mux(sound.encode(samples))
        container.mux(video.encode(None))
        container.mux(sound.encode(None))
    return spoken


def utterances_json(spoken: list[Utterance]) -> str:
    """The utterances as JSON for the browser test."""
    return json.dumps([asdict(u) for u in spoken])
