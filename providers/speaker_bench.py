"""`just bench-speakers`: what the speaker embedder costs here, and how well it tells voices apart.

Twelve English sentences are spoken by six synthetic voices of distinct timbre
(Piper's joe; espeak-ng's en-us and its f3, m7, klatt and f1 variants), with
the pre-roll and trailing silence our segments carry. It prints the embedder's
cost per second of audio; the cosine similarity of same-voice and
different-voice pairs and their equal error rate; and, per clustering
threshold, how 400 simulated programmes (two to four of the voices taking
turns at random, 14 utterances each) were clustered online: the share of
utterances whose speaker is their voice's (purity) and of programmes that got
exactly as many speakers as voices. Not a test: figures for this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import Counter

import numpy as np

from flows.speaker_clusters import DEFAULT_THRESHOLD, SpeakerClusters
from providers.bench import ENGLISH
from providers.espeak_tts import EspeakTextToSpeech
from providers.piper_tts import PiperTextToSpeech
from providers.speaker_embedder import Embedding, SpeakerEmbedder

SENTENCES = (
    *ENGLISH,
    "Good evening and welcome to the news.",
    "It will be hot tomorrow across the whole country.",
    "The cat sleeps in the house.",
    "Where did you put the keys yesterday?",
    "We will be right back after the break.",
    "Thank you for joining us tonight.",
)
VOICES = (
    "piper:joe",
    "espeak:en-us",
    "espeak:en-us+f3",
    "espeak:en-us+m7",
    "espeak:en-us+klatt",
    "espeak:en-us+f1",
)
THRESHOLDS = (0.6, 0.65, 0.68, 0.7, 0.72, 0.75, 0.8)
PAD = b"\x00\x00" * 4800  # 300 ms of silence each side, as a segment's pre-roll and tail


async def _speak(voice: str, text: str) -> bytes:
    engine = PiperTextToSpeech() if voice.startswith("piper:") else EspeakTextToSpeech()
    return b"".join([chunk.pcm async for chunk in engine.synthesize(text, "en", voice)])


def equal_error_rate(same: np.ndarray, different: np.ndarray) -> tuple[float, float]:
    """(rate, threshold) where as many same-voice pairs fall below as different ones above."""
    best = (1.0, 0.0)
    for threshold in np.linspace(-1, 1, 401):
        misses = float(np.mean(same < threshold))
        false_alarms = float(np.mean(different >= threshold))
        rate = max(misses, false_alarms)
        if rate < best[0]:
            best = (rate, float(threshold))
    return best


def cluster_programmes(
    vectors: dict[str, list[Embedding]], threshold: float, programmes: int, seed: int
) -> tuple[float, float]:
    """(purity, share of programmes with the right number of speakers) at a threshold."""
    rng = random.Random(seed)
    voices = list(vectors)
    right = total = exact = 0
    for _ in range(programmes):
        cast = rng.sample(voices, rng.choice((2, 2, 3, 4)))
        turns = [*cast, *(rng.choice(cast) for _ in range(14 - len(cast)))]
        rng.shuffle(turns)
        clusters = SpeakerClusters(threshold=threshold)
        labels = [clusters.assign(rng.choice(vectors[voice])) for voice in turns]
        majority = {
            label: Counter(
                v for v, lab in zip(turns, labels, strict=True) if lab == label
            ).most_common(1)[0][0]
            for label in set(labels)
        }
        right += sum(majority[lab] == v for v, lab in zip(turns, labels, strict=True))
        total += len(turns)
        exact += len(set(labels)) == len(cast)
    return right / total, exact / programmes


async def main() -> None:
    """Embed every voice's sentences, print the cost, the separation and the clustering."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programmes", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    embedder = SpeakerEmbedder()
    started = time.perf_counter()
    embedder.load()
    print(f"embedder loaded in {time.perf_counter() - started:.2f} s", flush=True)
    vectors: dict[str, list[Embedding]] = {}
    audio_s = busy_s = 0.0
    for number, voice in enumerate(VOICES, 1):
        print(f"[{number}/{len(VOICES)}] {voice}: {len(SENTENCES)} sentences", flush=True)
        for text in SENTENCES:
            pcm = PAD + await _speak(voice, text) + PAD
            started = time.perf_counter()
            vector, _ = embedder.embed_now(pcm)
            busy_s += time.perf_counter() - started
            audio_s += len(pcm) / 32000
            assert vector is not None, f"{voice} said too little in {text!r}"
            vectors.setdefault(voice, []).append(vector)
    print(f"cost: {1000 * busy_s / audio_s:.1f} ms per second of audio ({audio_s:.0f} s embedded)")

    same, different = [], []
    for a, voice_a in enumerate(VOICES):
        for b, voice_b in enumerate(VOICES[a:], a):
            scores = np.stack(vectors[voice_a]) @ np.stack(vectors[voice_b]).T
            if a == b:
                same += list(scores[np.triu_indices(len(scores), 1)])
            else:
                different += list(scores.ravel())
    same_a, different_a = np.array(same), np.array(different)
    print(
        f"same voice: min {same_a.min():.3f}, 5th percentile {np.percentile(same_a, 5):.3f}, "
        f"mean {same_a.mean():.3f}; different voices: max {different_a.max():.3f}, "
        f"95th percentile {np.percentile(different_a, 95):.3f}, mean {different_a.mean():.3f}"
    )
    eer, at = equal_error_rate(same_a, different_a)
    print(f"equal error rate (pairs): {100 * eer:.1f} % at {at:.3f}")
    for threshold in THRESHOLDS:
        purity, exact = cluster_programmes(vectors, threshold, args.programmes, args.seed)
        mark = "  <- DEFAULT_THRESHOLD" if threshold == DEFAULT_THRESHOLD else ""
        print(
            f"threshold {threshold:.2f}: purity {100 * purity:.1f} %, "
            f"right number of speakers {100 * exact:.1f} %{mark}"
        )


if __name__ == "__main__":
    asyncio.run(main())
