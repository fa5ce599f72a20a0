"""The numpy log-mel front end agrees with librosa's, which the speaker encoder was trained on.

The reference figures were computed once with librosa 0.11
(`librosa.feature.melspectrogram(y, sr=16000, n_fft=512, win_length=400,
hop_length=160, n_mels=40, window="hamming", center=False, power=2.0)`, then
log10 of it plus 1e-10, and `librosa.filters.mel(sr=16000, n_fft=512, n_mels=40)`)
on the signal `_signal` makes.
"""

from __future__ import annotations

import numpy as np
import pytest

from providers.log_mel import LogMel, hz_to_mel, mel_filterbank, mel_to_hz, pcm_to_float


def _signal() -> np.ndarray:
    """Half a second: a chirp from 200 Hz up, and a quieter 1234 Hz tone."""
    t = np.arange(8000) / 16000
    chirp = 0.3 * np.sin(2 * np.pi * (200 * t + 3000 * t * t))
    return (chirp + 0.1 * np.sin(2 * np.pi * 1234 * t)).astype(np.float32)


# Rows 0, 20 and 46 of librosa's log-mel of `_signal`, every eighth mel band.
LIBROSA_ROWS = {
    0: [-3.3969, -3.3828, -0.1255, -4.4794, -4.9601],
    20: [-4.0958, -3.8966, -0.1233, -4.1062, -4.9985],
    46: [-4.5385, -4.2031, -0.1255, -3.7998, -4.593],
}
# librosa's filters 0, 10 and 39: first and last FFT bin they cover, their first weights.
LIBROSA_FILTERS = {
    0: (1, 4, [0.0057736, 0.0115472, 0.00986414, 0.00409054]),
    10: (24, 28, [0.00264173, 0.00841533, 0.012996, 0.00722241]),
    39: (220, 255, [4.33589e-06, 0.000106753, 0.00020917, 0.000311587]),
}


def test_the_log_mel_of_a_signal_matches_librosas() -> None:
    features = LogMel()(_signal())
    assert features.shape == (47, 40)  # 1 + (8000 - 512) // 160 frames, no padding
    for row, expected in LIBROSA_ROWS.items():
        assert features[row, ::8] == pytest.approx(expected, abs=2e-4)


def test_the_filterbank_is_slaneys_as_librosa_builds_it() -> None:
    filters = mel_filterbank(16000, 512, 40)
    assert filters.shape == (40, 257)
    for band, (first, last, weights) in LIBROSA_FILTERS.items():
        covered = np.nonzero(filters[band])[0]
        assert (covered[0], covered[-1]) == (first, last)
        assert filters[band, covered[:4]] == pytest.approx(weights, rel=1e-4)


def test_the_mel_scale_is_linear_below_1khz_and_logarithmic_above() -> None:
    hz = np.array([0.0, 500.0, 1000.0, 4000.0, 8000.0])
    assert hz_to_mel(hz)[:3] == pytest.approx([0.0, 7.5, 15.0])
    assert mel_to_hz(hz_to_mel(hz)) == pytest.approx(hz)


def test_audio_shorter_than_one_fft_frame_has_no_rows() -> None:
    assert LogMel()(np.zeros(511, np.float32)).shape == (0, 40)
    assert LogMel().frames(512 + 160 * 3) == 4


def test_pcm_becomes_floats_in_range() -> None:
    pcm = np.array([0, 16384, -32768, 32767], dtype="<i2").tobytes() + b"\x01"  # odd byte dropped
    assert pcm_to_float(pcm).tolist() == pytest.approx([0.0, 0.5, -1.0, 32767 / 32768])
