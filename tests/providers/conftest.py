"""Offline engines, loaded once per test session, and speech made from known text."""

from __future__ import annotations

import pytest

from providers.apertium_translate import ApertiumTranslator
from providers.espeak_tts import EspeakTextToSpeech
from providers.piper_tts import PiperTextToSpeech
from providers.whisper_stt import WhisperSpeechToText
from tests.providers.speech import ENGLISH, collect_speech


@pytest.fixture(scope="session")
def whisper() -> WhisperSpeechToText:
    return WhisperSpeechToText(("en", "es", "he"), workers=2)


@pytest.fixture(scope="session")
def piper() -> PiperTextToSpeech:
    # No noise: the same text always gives the same speech.
    return PiperTextToSpeech(sample_rate=16000, noise_scale=0.0, noise_w_scale=0.0)


@pytest.fixture(scope="session")
def espeak() -> EspeakTextToSpeech:
    return EspeakTextToSpeech(sample_rate=16000)


@pytest.fixture(scope="session")
def apertium() -> ApertiumTranslator:
    return ApertiumTranslator()


@pytest.fixture(scope="session")
async def english_speech(piper: PiperTextToSpeech) -> dict[str, bytes]:
    """Each ENGLISH sentence spoken by Piper, PCM s16le 16 kHz."""
    spoken = {}
    for sentence in ENGLISH:
        pcm, _, _ = await collect_speech(piper.synthesize(sentence, "en", None))
        spoken[sentence] = pcm
    return spoken
