"""The offline dubbing voice: Piper for English, espeak-ng for Spanish and Hebrew."""

from __future__ import annotations

import numpy as np
import pytest

from providers.espeak_tts import EspeakTextToSpeech
from providers.kokoro_tts import KokoroTextToSpeech
from providers.offline_tts import OfflineTextToSpeech
from providers.piper_tts import PiperTextToSpeech
from tests.providers.speech import collect_speech


@pytest.fixture(scope="module")
def offline(piper: PiperTextToSpeech, espeak: EspeakTextToSpeech) -> OfflineTextToSpeech:
    return OfflineTextToSpeech(piper, espeak)


@pytest.mark.parametrize(
    ("language", "voice", "engine"),
    [
        ("en", None, "piper"),
        ("en", "piper:en_US-joe-medium", "piper"),
        ("en", "espeak:en-us", "espeak"),
        ("es", None, "espeak"),
        ("es", "piper:en_US-joe-medium", "espeak"),
        ("he", None, "espeak"),
    ],
)
def test_each_language_goes_to_the_engine_that_speaks_it(
    offline: OfflineTextToSpeech, language: str, voice: str | None, engine: str
) -> None:
    assert offline.engine_for(language, voice).name == engine


async def test_english_is_piper_and_spanish_is_espeak(
    offline: OfflineTextToSpeech, piper: PiperTextToSpeech, espeak: EspeakTextToSpeech
) -> None:
    english, _, _ = await collect_speech(offline.synthesize("Good evening.", "en", None))
    by_piper, _, _ = await collect_speech(piper.synthesize("Good evening.", "en", None))
    assert english == by_piper
    # espeak-ng is deterministic, but the pipe cuts its output differently each run,
    # and soxr's streamed output may differ by a least significant bit.
    spanish, _, _ = await collect_speech(offline.synthesize("Buenas noches.", "es", None))
    by_espeak, _, _ = await collect_speech(espeak.synthesize("Buenas noches.", "es", None))
    assert len(spanish) == len(by_espeak)
    difference = np.frombuffer(spanish, "<i2").astype(int) - np.frombuffer(by_espeak, "<i2")
    assert np.abs(difference).max() <= 2


async def test_the_catalog_lists_piper_first(offline: OfflineTextToSpeech) -> None:
    english = await offline.voices("en")
    assert english[0].id == "piper:en_US-joe-medium"
    assert {v.provider for v in english[1:]} == {"espeak"}
    assert {v.provider for v in await offline.voices("he")} == {"espeak"}
    everything = await offline.voices()
    assert {"en", "es", "he"} <= {v.language for v in everything}


@pytest.mark.parametrize(
    ("language", "voice", "engine"),
    [
        ("es", None, "kokoro"),
        ("es", "kokoro:jm_kumo", "kokoro"),
        ("es", "espeak:es-419", "espeak"),
        ("es", "piper:en_US-joe-medium", "kokoro"),  # Piper does not speak Spanish
        ("en", None, "piper"),
        ("he", None, "espeak"),
    ],
)
def test_with_kokoro_its_languages_go_to_it_first(
    piper: PiperTextToSpeech,
    espeak: EspeakTextToSpeech,
    language: str,
    voice: str | None,
    engine: str,
) -> None:
    offline = OfflineTextToSpeech(piper, espeak, KokoroTextToSpeech(languages=("es",)))
    assert offline.name == "kokoro"
    assert offline.engine_for(language, voice).name == engine


async def test_with_kokoro_the_catalog_lists_its_voices_first(
    piper: PiperTextToSpeech, espeak: EspeakTextToSpeech
) -> None:
    offline = OfflineTextToSpeech(piper, espeak, KokoroTextToSpeech(languages=("es",)))
    spanish = await offline.voices("es")
    assert spanish[0].id == "kokoro:jf_gongitsune"
    assert {v.provider for v in spanish} == {"kokoro", "espeak"}
    assert (await offline.voices("en"))[0].provider == "piper"
