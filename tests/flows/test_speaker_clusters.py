"""Online clustering: a new speaker below the threshold, the same above, a cap, a fixed order."""

from __future__ import annotations

import numpy as np

from flows.speaker_clusters import SpeakerClusters


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, np.float32)
    return vector / np.linalg.norm(vector)


A, A2 = _unit(1, 0.1, 0), _unit(1, -0.1, 0.05)  # one voice, two utterances (cos 0.98)
B, C = _unit(0, 1, 0), _unit(0, 0, 1)


def test_speakers_are_numbered_in_the_order_they_first_speak() -> None:
    clusters = SpeakerClusters(threshold=0.68)
    assert [clusters.assign(v) for v in (B, A, A2, B, C, A)] == [0, 1, 1, 0, 2, 1]
    assert clusters.counts == [2, 3, 1]


def test_an_utterance_joins_the_speakers_mean_not_its_first_utterance() -> None:
    clusters = SpeakerClusters(threshold=0.9)
    clusters.assign(_unit(1, 0.45, 0))
    clusters.assign(_unit(1, -0.45, 0))  # 0.67 from the first: a new speaker at 0.9
    assert len(clusters) == 2
    merged = SpeakerClusters(threshold=0.6)
    for vector in (_unit(1, 0.45, 0), _unit(1, -0.45, 0)):
        merged.assign(vector)
    # The mean now points along x: x itself is closer to it than to either utterance.
    assert merged.similarities(_unit(1, 0, 0))[0] > 0.99


def test_past_the_cap_an_utterance_joins_the_closest_speaker() -> None:
    clusters = SpeakerClusters(threshold=0.68, max_speakers=2)
    assert [clusters.assign(v) for v in (A, B)] == [0, 1]
    assert clusters.assign(_unit(0.2, 0.3, 1)) == 1  # C-like, closer to B than A
    assert len(clusters) == 2


def test_the_same_utterances_give_the_same_numbers() -> None:
    rng = np.random.default_rng(3)
    voices = [_unit(*rng.normal(size=16)) for _ in range(3)]
    utterances = [_unit(*(voices[i % 3] + rng.normal(scale=0.1, size=16))) for i in range(12)]
    first = SpeakerClusters()
    second = SpeakerClusters()
    assert [first.assign(u) for u in utterances] == [second.assign(u) for u in utterances]
    assert [first.assign(u) for u in utterances[:3]] == [0, 1, 2]
