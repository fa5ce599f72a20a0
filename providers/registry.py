"""Build the configured providers by name (STT_PROVIDER, TRANSLATION_PROVIDER, TTS_PROVIDER).

Building is cheap: models load lazily on first use and once per process,
however many providers are built. Cloud adapters hold clients bound to the
event loop that first uses them: build one per loop, `aclose` it at the end.

| setting | names |
| --- | --- |
| STT_PROVIDER | whisper (offline), assemblyai, noop |
| TRANSLATION_PROVIDER | apertium (offline), deepl, noop |
| TTS_PROVIDER | piper (offline: Piper, else espeak-ng), kokoro (piper with Kokoro-82M |
| | for KOKORO_LANGUAGES), espeak, elevenlabs, noop |
| SPEAKER_EMBEDDER | voicefilter (offline, any STT), none (one voice for all speakers) |

The voice catalog is the configured TTS provider's. `noop` is the
benchmark/test mode (`providers.noop`): no engine runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar

import settings
from providers.base import (
    Closable,
    SpeechToText,
    StreamingSpeechToText,
    TextToSpeech,
    Translator,
    VoiceCatalog,
    VoiceEmbedder,
)
from providers.retries import RetryPolicy

T = TypeVar("T")


class SpeechWithVoices(TextToSpeech, VoiceCatalog, Protocol):
    """Every TTS provider also lists its voices."""


def retry_policy(cfg: settings.Settings) -> RetryPolicy:
    """The retry policy the cloud adapters share."""
    return RetryPolicy(
        attempts=cfg.provider_retry_attempts,
        initial_delay=cfg.provider_retry_initial_seconds,
        max_delay=cfg.provider_retry_max_seconds,
    )


def _all_languages(cfg: settings.Settings) -> list[str]:
    return sorted({*cfg.supported_languages, *cfg.whisper_languages})


def _whisper(cfg: settings.Settings) -> SpeechToText:
    from providers.whisper_stt import WhisperSpeechToText

    return WhisperSpeechToText(
        cfg.whisper_languages,
        model_dir=cfg.whisper_model_dir,
        model_dirs=dict(cfg.whisper_model_dirs),
        compute_type=cfg.whisper_compute_type,
        cpu_threads=cfg.whisper_cpu_threads,
        workers=cfg.whisper_workers,
        window_pad_s=cfg.whisper_window_pad_seconds,
        timeout=cfg.provider_timeout_seconds,
    )


def _assemblyai(cfg: settings.Settings) -> SpeechToText:
    from providers.assemblyai_stt import AssemblyAISpeechToText

    return AssemblyAISpeechToText(
        cfg.assemblyai_api_key,
        host=cfg.assemblyai_host,
        speech_models=dict(cfg.assemblyai_speech_models),
        fallback_model=cfg.assemblyai_fallback_model or None,
        send_speed=cfg.assemblyai_send_speed,
        inactivity_timeout_s=cfg.assemblyai_inactivity_timeout_seconds,
        # Who is speaking, when the flow tells speakers apart: the provider's labels.
        max_speakers=cfg.max_speakers if cfg.speaker_embedder != "none" else None,
        timeout=cfg.provider_timeout_seconds,
        retry=retry_policy(cfg),
    )


def _noop_stt(cfg: settings.Settings) -> SpeechToText:
    from providers.noop import NoopSpeechToText

    return NoopSpeechToText(_all_languages(cfg), cfg.sample_rate)


def _apertium(cfg: settings.Settings) -> Translator:
    from providers.apertium_translate import ApertiumTranslator

    return ApertiumTranslator(timeout=cfg.provider_timeout_seconds)


def _deepl(cfg: settings.Settings) -> Translator:
    from providers.deepl_translate import DeepLTranslator

    return DeepLTranslator(
        cfg.deepl_auth_key,
        server_url=cfg.deepl_server_url or None,
        formality=cfg.deepl_formality,
        target_variants=dict(cfg.deepl_target_variants),
        max_concurrency=cfg.deepl_max_concurrency,
        timeout=cfg.provider_timeout_seconds,
        retry=retry_policy(cfg),
    )


def _noop_translator(cfg: settings.Settings) -> Translator:
    from providers.noop import NoopTranslator

    return NoopTranslator()


def _espeak(cfg: settings.Settings) -> SpeechWithVoices:
    from providers.espeak_tts import EspeakTextToSpeech

    return EspeakTextToSpeech(sample_rate=cfg.tts_sample_rate, timeout=cfg.provider_timeout_seconds)


def _piper(cfg: settings.Settings, with_kokoro: bool = False) -> SpeechWithVoices:
    from providers.espeak_tts import EspeakTextToSpeech
    from providers.kokoro_tts import KokoroTextToSpeech
    from providers.offline_tts import OfflineTextToSpeech
    from providers.piper_tts import PiperTextToSpeech

    timeout = cfg.provider_timeout_seconds
    kokoro = None
    if with_kokoro:
        kokoro = KokoroTextToSpeech(
            languages=cfg.kokoro_languages,
            default_voice=cfg.kokoro_voice,
            speed=cfg.kokoro_speed,
            cpu_threads=cfg.kokoro_cpu_threads,
            sample_rate=cfg.tts_sample_rate,
            timeout=timeout,
        )
    return OfflineTextToSpeech(
        PiperTextToSpeech(cfg.piper_voice_dir, sample_rate=cfg.tts_sample_rate, timeout=timeout),
        EspeakTextToSpeech(sample_rate=cfg.tts_sample_rate, timeout=timeout),
        kokoro,
    )


def _kokoro(cfg: settings.Settings) -> SpeechWithVoices:
    return _piper(cfg, with_kokoro=True)


def _elevenlabs(cfg: settings.Settings) -> SpeechWithVoices:
    from providers.elevenlabs_tts import ElevenLabsTextToSpeech

    return ElevenLabsTextToSpeech(
        cfg.elevenlabs_api_key,
        base_url=cfg.elevenlabs_base_url,
        model=cfg.elevenlabs_model,
        default_voice=cfg.elevenlabs_voice_id or None,
        sample_rate=cfg.tts_sample_rate,
        # The plan's limit is shared by the process's workers, each with a provider of its own.
        max_concurrency=max(1, cfg.elevenlabs_max_concurrency // max(1, cfg.flow_workers)),
        timeout=cfg.provider_timeout_seconds,
        retry=retry_policy(cfg),
    )


def _noop_speech(cfg: settings.Settings) -> SpeechWithVoices:
    from providers.noop import NoopTextToSpeech

    return NoopTextToSpeech(_all_languages(cfg), cfg.tts_sample_rate or cfg.sample_rate)


SPEECH_TO_TEXT: Mapping[str, Callable[[settings.Settings], SpeechToText]] = {
    "whisper": _whisper,
    "assemblyai": _assemblyai,
    "noop": _noop_stt,
}
TRANSLATORS: Mapping[str, Callable[[settings.Settings], Translator]] = {
    "apertium": _apertium,
    "deepl": _deepl,
    "noop": _noop_translator,
}
TEXT_TO_SPEECH: Mapping[str, Callable[[settings.Settings], SpeechWithVoices]] = {
    "piper": _piper,
    "kokoro": _kokoro,
    "espeak": _espeak,
    "elevenlabs": _elevenlabs,
    "noop": _noop_speech,
}


def _build(
    kind: str,
    builders: Mapping[str, Callable[[settings.Settings], T]],
    name: str,
    cfg: settings.Settings,
) -> T:
    try:
        build = builders[name]
    except KeyError:
        raise ValueError(f"unknown {kind} {name!r}; choose one of {', '.join(builders)}") from None
    return build(cfg)


def speech_to_text(cfg: settings.Settings | None = None) -> SpeechToText:
    """The speech-to-text provider STT_PROVIDER names."""
    cfg = cfg or settings.load()
    return _build("STT_PROVIDER", SPEECH_TO_TEXT, cfg.stt_provider, cfg)


# Engines that take any number of segments at once (cloud, no-op): no queue to speak of.
UNBOUNDED_SLOTS = 1024


def transcription_slots(cfg: settings.Settings) -> int:
    """How many segments the configured speech-to-text should transcribe at once."""
    return cfg.whisper_workers if cfg.stt_provider == "whisper" else UNBOUNDED_SLOTS


def streams_speech(cfg: settings.Settings | None = None) -> bool:
    """Whether the configured speech-to-text hears a live stream (else it takes segments)."""
    return isinstance(speech_to_text(cfg), StreamingSpeechToText)


def translator(cfg: settings.Settings | None = None) -> Translator:
    """The translator TRANSLATION_PROVIDER names."""
    cfg = cfg or settings.load()
    return _build("TRANSLATION_PROVIDER", TRANSLATORS, cfg.translation_provider, cfg)


def text_to_speech(cfg: settings.Settings | None = None) -> TextToSpeech:
    """The text-to-speech provider TTS_PROVIDER names."""
    cfg = cfg or settings.load()
    return _build("TTS_PROVIDER", TEXT_TO_SPEECH, cfg.tts_provider, cfg)


def voice_catalog(cfg: settings.Settings | None = None) -> VoiceCatalog:
    """The voices of the provider TTS_PROVIDER names."""
    cfg = cfg or settings.load()
    return _build("TTS_PROVIDER", TEXT_TO_SPEECH, cfg.tts_provider, cfg)


def speaker_embedder(cfg: settings.Settings | None = None) -> VoiceEmbedder | None:
    """The speaker embedder SPEAKER_EMBEDDER names, or None when speakers are not told apart."""
    cfg = cfg or settings.load()
    if cfg.speaker_embedder == "none":
        return None
    if cfg.speaker_embedder != "voicefilter":
        raise ValueError(
            f"unknown SPEAKER_EMBEDDER {cfg.speaker_embedder!r}; choose one of voicefilter, none"
        )
    from providers.speaker_embedder import SpeakerEmbedder

    return SpeakerEmbedder(
        cpu_threads=cfg.speaker_cpu_threads, timeout=cfg.provider_timeout_seconds
    )


async def aclose(provider: object) -> None:
    """Close a provider that holds clients (cloud adapters); others need nothing."""
    if isinstance(provider, Closable):
        await provider.aclose()
