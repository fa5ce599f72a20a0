"""The speaker embedder: one voice's utterances together, different voices apart, off the loop."""

from __future__ import annotations

import asyncio
import os
import threading

import numpy as np
import pytest

from flows.speaker_clusters import DEFAULT_THRESHOLD
from providers.base import ProviderError
from providers.espeak_tts import EspeakTextToSpeech
from providers.speaker_embedder import (
    THREAD_NICE,
    SpeakerEmbedder,
    model_path,
    speech_frames,
    windows,
)
from tests.providers.speech import collect_speech, longest_loop_stall
from tests.support.speech import silence, speak
from wire.errors import ErrorCode

SENTENCES = (
    "The weather is nice today.",
    "We are going to the beach this afternoon.",
    "Please bring a hat and some water.",
)


@pytest.fixture(scope="module")
def embedder() -> SpeakerEmbedder:
    return SpeakerEmbedder()


async def _espeak(espeak: EspeakTextToSpeech, text: str, voice: str) -> bytes:
    pcm, _, _ = await collect_speech(espeak.synthesize(text, "en", voice))
    return pcm


def _padded(pcm: bytes) -> bytes:
    # As a segment comes from the segmenter: pre-roll before the speech, silence after.
    return silence(300) + pcm + silence(330)


async def test_one_voices_utterances_match_and_another_voices_do_not(
    embedder: SpeakerEmbedder, espeak: EspeakTextToSpeech
) -> None:
    joe = [embedder.embed_now(_padded(speak(text)))[0] for text in SENTENCES]
    other = [
        embedder.embed_now(_padded(await _espeak(espeak, text, "espeak:en-us+f3")))[0]
        for text in SENTENCES
    ]
    vectors = np.stack([v for v in joe + other if v is not None])
    assert vectors.shape == (6, 256)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(6), abs=1e-4)
    scores = vectors @ vectors.T
    same = [scores[i, j] for group in ((0, 1, 2), (3, 4, 5)) for i in group for j in group if i < j]
    across = scores[:3, 3:].ravel()
    assert min(same) > DEFAULT_THRESHOLD > max(across)


def test_silence_says_nothing_and_a_word_too_little_for_a_new_speaker(
    embedder: SpeakerEmbedder,
) -> None:
    assert embedder.embed_now(silence(2000)) == (None, 0)
    vector, speech_ms = embedder.embed_now(_padded(speak("Yes.")))
    assert vector is not None and 300 <= speech_ms < 800


def test_the_silence_around_an_utterance_is_left_out() -> None:
    loud, quiet = np.full((50, 40), -1.0, np.float32), np.full((30, 40), -9.0, np.float32)
    assert len(speech_frames(np.concatenate([quiet, loud, quiet]))) == 50
    assert len(speech_frames(np.full((50, 40), -10.0, np.float32))) == 0  # digital silence
    # 80-frame windows every 40 frames; a short input is padded to one window.
    assert windows(np.zeros((200, 40), np.float32)).shape == (4, 80, 40)
    assert windows(np.zeros((10, 40), np.float32)).shape == (1, 80, 40)


async def test_embedding_runs_off_the_event_loop(embedder: SpeakerEmbedder) -> None:
    pcm = _padded(speak(" ".join(SENTENCES)))
    embedder.load()
    results, stall = await longest_loop_stall(
        asyncio.gather(*(embedder.embed(pcm) for _ in range(4)))
    )
    assert all(vector is not None for vector, _ in results)
    assert stall < 0.25


async def test_a_missing_model_is_provider_unavailable_and_a_stall_a_timeout() -> None:
    assert model_path().name == "embedder.int8.onnx" and model_path().is_file()
    broken = SpeakerEmbedder(model=model_path().with_name("missing.onnx"))
    with pytest.raises(ProviderError) as missing:
        await broken.embed(_padded(speak(SENTENCES[0])))
    assert missing.value.code is ErrorCode.PROVIDER_UNAVAILABLE
    slow = SpeakerEmbedder(timeout=1e-6)
    with pytest.raises(ProviderError) as raised:
        await slow.embed(_padded(speak(" ".join(SENTENCES))))
    assert raised.value.code is ErrorCode.PROVIDER_TIMEOUT


async def test_voiceprints_are_made_one_at_a_time_at_a_low_priority(
    embedder: SpeakerEmbedder,
) -> None:
    await asyncio.gather(*(embedder.embed(_padded(speak(text))) for text in SENTENCES))
    (thread,) = [t for t in threading.enumerate() if t.name.startswith("speaker-embedder")]
    assert thread.native_id is not None
    assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == THREAD_NICE
