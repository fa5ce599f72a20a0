"""Kokoro-82M: Spanish that Whisper understands, streamed by sentence, its voices and limits."""

from __future__ import annotations

import asyncio

import pytest

from providers.base import ProviderError
from providers.kokoro_tts import MAX_TOKENS, KokoroTextToSpeech, kokoro_phonemes, token_pieces
from providers.whisper_stt import WhisperSpeechToText
from tests.providers.speech import (
    assert_a_stall_is_provider_timeout,
    assert_speaks_off_the_loop,
    collect_speech,
    rms_dbfs,
    word_error_rate,
)
from wire.errors import ErrorCode

TWO_SENTENCES = "Buenas noches y bienvenidos a las noticias. Mañana hará calor en todo el país."


@pytest.fixture(scope="module")
def kokoro() -> KokoroTextToSpeech:
    return KokoroTextToSpeech(sample_rate=16000)


async def test_spanish_speech_has_plausible_length_and_loudness_and_streams(
    kokoro: KokoroTextToSpeech,
) -> None:
    pcm, rate, chunks = await collect_speech(kokoro.synthesize(TWO_SENTENCES, "es", None))
    seconds = len(pcm) / 2 / rate
    assert rate == 16000
    assert chunks >= 2  # one model call per sentence: the first is out before the second
    assert 0.04 * len(TWO_SENTENCES) <= seconds <= 0.12 * len(TWO_SENTENCES)
    assert -30 <= rms_dbfs(pcm) <= -6


@pytest.mark.parametrize(
    "sentence",
    ["El gato negro duerme en la casa.", "Los niños juegan en el parque después de la escuela."],
)
async def test_whisper_base_hears_its_spanish(
    kokoro: KokoroTextToSpeech, whisper: WhisperSpeechToText, sentence: str
) -> None:
    pcm, _, _ = await collect_speech(kokoro.synthesize(sentence, "es", None))
    heard = await whisper.transcribe(pcm, "es")
    assert word_error_rate(sentence, heard.text) <= 0.15, heard.text


async def test_voices_are_listed_for_its_languages_the_default_first(
    kokoro: KokoroTextToSpeech,
) -> None:
    spanish = await kokoro.voices("es")
    assert spanish[0].id == "kokoro:jf_gongitsune"
    assert len(spanish) == 5 and {v.provider for v in spanish} == {"kokoro"}
    assert {v.gender for v in spanish} == {"female", "male"}
    assert await kokoro.voices("he") == []
    assert kokoro.choose("es", "kokoro:jm_kumo") == "jm_kumo"
    assert kokoro.choose("es", "espeak:es") == "jf_gongitsune"


async def test_another_voice_speaks_differently(kokoro: KokoroTextToSpeech) -> None:
    female, _, _ = await collect_speech(kokoro.synthesize("Hola a todos.", "es", None))
    male, _, _ = await collect_speech(kokoro.synthesize("Hola a todos.", "es", "kokoro:jm_kumo"))
    assert female and male and female != male


async def test_a_language_it_is_not_set_to_speak_is_language_unsupported(
    kokoro: KokoroTextToSpeech,
) -> None:
    with pytest.raises(ProviderError) as raised:
        await collect_speech(kokoro.synthesize("Shalom", "he", None))
    assert raised.value.code is ErrorCode.LANGUAGE_UNSUPPORTED


def test_espeak_ties_become_kokoros_letters() -> None:
    assert kokoro_phonemes("nˈot^ʃes\n  bwˈenas") == "nˈoʧes bwˈenas"  # noqa: RUF001
    assert kokoro_phonemes("ˈa^ɪɾe") == "ˈIɾe"  # noqa: RUF001 (IPA)


def test_long_token_runs_are_cut_at_a_space_within_the_limit() -> None:
    space = 16
    tokens = ([1] * 9 + [space]) * 120  # 1200 tokens, a space every tenth
    pieces = token_pieces(tokens, space)
    assert [t for piece in pieces for t in piece] == tokens
    assert all(len(piece) <= MAX_TOKENS for piece in pieces)
    assert all(piece[-1] == space for piece in pieces[:-1])
    assert token_pieces([], space) == []


async def test_synthesis_runs_off_the_event_loop(kokoro: KokoroTextToSpeech) -> None:
    await asyncio.to_thread(kokoro.load)
    await assert_speaks_off_the_loop(kokoro, TWO_SENTENCES, "es")


async def test_a_stalled_synthesis_is_provider_timeout() -> None:
    await assert_a_stall_is_provider_timeout(KokoroTextToSpeech(timeout=0.001), TWO_SENTENCES, "es")
