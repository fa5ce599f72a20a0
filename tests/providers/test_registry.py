"""Providers are chosen by name from the environment's settings."""

from __future__ import annotations

import dataclasses

import pytest

import settings
from providers import registry
from providers.assemblyai_stt import AssemblyAISpeechToText
from providers.deepl_translate import DeepLTranslator
from providers.elevenlabs_tts import ElevenLabsTextToSpeech
from providers.espeak_tts import EspeakTextToSpeech
from providers.noop import NoopSpeechToText, NoopTextToSpeech, NoopTranslator
from providers.offline_tts import OfflineTextToSpeech
from providers.whisper_stt import WhisperSpeechToText

SECRETS = {
    "ASSEMBLYAI_API_KEY": "aai-secret-1",
    "DEEPL_AUTH_KEY": "deepl-secret-2:fx",
    "ELEVENLABS_API_KEY": "eleven-secret-3",
}


def test_the_defaults_are_the_offline_engines(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STT_PROVIDER", "TRANSLATION_PROVIDER", "TTS_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    cfg = settings.load()
    assert isinstance(registry.speech_to_text(cfg), WhisperSpeechToText)
    assert registry.translator(cfg).name == "apertium"
    assert isinstance(registry.text_to_speech(cfg), OfflineTextToSpeech)
    assert isinstance(registry.voice_catalog(cfg), OfflineTextToSpeech)


def test_kokoro_is_the_offline_voice_with_kokoro_in_front(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TTS_PROVIDER", "kokoro")
    monkeypatch.setenv("KOKORO_VOICE", "jm_kumo")
    tts = registry.text_to_speech()
    assert isinstance(tts, OfflineTextToSpeech) and tts.kokoro is not None
    assert tts.kokoro.choose("es", None) == "jm_kumo"
    assert tts.engine_for("es", None).name == "kokoro"
    assert tts.engine_for("en", None).name == "piper"


def test_noop_is_selected_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STT_PROVIDER", "noop")
    monkeypatch.setenv("TRANSLATION_PROVIDER", "noop")
    monkeypatch.setenv("TTS_PROVIDER", "noop")
    assert isinstance(registry.speech_to_text(), NoopSpeechToText)
    assert isinstance(registry.translator(), NoopTranslator)
    assert isinstance(registry.text_to_speech(), NoopTextToSpeech)
    assert isinstance(registry.voice_catalog(), NoopTextToSpeech)


async def test_cloud_adapters_are_built_from_their_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ELEVENLABS_BASE_URL", "http://127.0.0.1:9")
    cfg = dataclasses.replace(
        settings.load(),
        stt_provider="assemblyai",
        translation_provider="deepl",
        tts_provider="elevenlabs",
    )
    stt, translator, tts = (
        registry.speech_to_text(cfg),
        registry.translator(cfg),
        registry.text_to_speech(cfg),
    )
    try:
        assert isinstance(stt, AssemblyAISpeechToText)
        assert stt.languages() == {"en", "es", "fr", "de", "it", "pt", "he"}
        assert stt.speech_model("he").name == "universal-3-5-pro"  # it takes a Hebrew code
        assert registry.streams_speech(cfg)
        assert isinstance(translator, DeepLTranslator)
        assert isinstance(tts, ElevenLabsTextToSpeech)
    finally:
        for provider in (stt, translator, tts):
            await registry.aclose(provider)


def test_a_cloud_adapter_without_its_key_refuses_to_start() -> None:
    cfg = dataclasses.replace(settings.load(), translation_provider="deepl", deepl_auth_key="")
    with pytest.raises(ValueError, match="DEEPL_AUTH_KEY"):
        registry.translator(cfg)


def test_an_unknown_name_says_what_there_is() -> None:
    cfg = dataclasses.replace(settings.load(), tts_provider="festival")
    with pytest.raises(ValueError, match="piper, kokoro, espeak, elevenlabs, noop"):
        registry.text_to_speech(cfg)


def test_espeak_alone_can_be_chosen() -> None:
    cfg = dataclasses.replace(settings.load(), tts_provider="espeak")
    assert isinstance(registry.text_to_speech(cfg), EspeakTextToSpeech)


def test_settings_never_show_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    cfg = settings.load()
    assert cfg.deepl_auth_key == SECRETS["DEEPL_AUTH_KEY"]
    assert not any(secret in repr(cfg) for secret in SECRETS.values())


def test_per_language_settings_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHISPER_MODEL_DIRS", "he=/models/large-v3, en=/models/small.en")
    assert dict(settings.load().whisper_model_dirs) == {
        "he": "/models/large-v3",
        "en": "/models/small.en",
    }
    monkeypatch.setenv("WHISPER_MODEL_DIR_HE", "/models/ivrit")  # one variable a language...
    monkeypatch.setenv("WHISPER_MODEL_DIR_ES", "/models/es")
    assert dict(settings.load().whisper_model_dirs) == {
        "he": "/models/large-v3",  # ...WHISPER_MODEL_DIRS wins where both name one
        "en": "/models/small.en",
        "es": "/models/es",
    }
    monkeypatch.setenv("WHISPER_MODEL_DIRS", "he")
    with pytest.raises(ValueError, match="WHISPER_MODEL_DIRS"):
        settings.load()
