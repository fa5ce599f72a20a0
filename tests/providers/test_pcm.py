"""PCM helpers: streaming resampling (soxr) keeps length and never splits a sample."""

from __future__ import annotations

import numpy as np

from providers.pcm import PcmResampler, duration_seconds, float_to_pcm, pcm_to_float


def _tone(seconds: float, rate: int) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return float_to_pcm(0.5 * np.sin(2 * np.pi * 440 * t))


def test_streamed_resampling_keeps_the_duration_across_odd_chunks() -> None:
    source = _tone(1.0, 22050)
    resampler = PcmResampler(22050, 16000)
    out = b"".join(resampler.push(source[i : i + 1001]) for i in range(0, len(source), 1001))
    out += resampler.flush()
    assert len(out) % 2 == 0
    assert abs(duration_seconds(out, 16000) - 1.0) < 0.002


def test_the_resampled_tone_keeps_its_pitch_and_level() -> None:
    resampler = PcmResampler(22050, 16000)
    out = pcm_to_float(resampler.push(_tone(1.0, 22050)) + resampler.flush())
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spectrum) * 16000 / len(out) - 440) < 2
    assert abs(np.max(np.abs(out[1000:-1000])) - 0.5) < 0.02


def test_equal_rates_pass_through() -> None:
    resampler = PcmResampler(16000, 16000)
    assert resampler.push(b"\x01\x02\x03") == b"\x01\x02"
    assert resampler.push(b"\x04") == b"\x03\x04"
