"""Offline engines, loaded once per test session, and speech made from known text."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

import pytest

from providers import registry
from providers.apertium_translate import ApertiumTranslator
from providers.espeak_tts import EspeakTextToSpeech
from providers.piper_tts import PiperTextToSpeech
from providers.whisper_stt import WhisperSpeechToText
from standins.http import Faults
from tests.providers.speech import ENGLISH, collect_speech

P = TypeVar("P")


@pytest.fixture(scope="session")
def whisper() -> WhisperSpeechToText:
    return WhisperSpeechToText(("en", "es", "he"), workers=2, word_timings=True)


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


@pytest.fixture
def faults(server: tuple[str, Faults]) -> Iterator[Faults]:
    """The planned faults and seen requests of the module's stand-in `server`, fresh per test."""
    server[1].reset()
    yield server[1]
    server[1].reset()


@pytest.fixture
async def closing() -> AsyncIterator[Callable[[P], P]]:
    """Wraps providers built in a test so that they are closed after it."""
    opened: list[object] = []

    def keep(provider: P) -> P:
        opened.append(provider)
        return provider

    yield keep  # type: ignore[misc]
    for provider in opened:
        await registry.aclose(provider)
