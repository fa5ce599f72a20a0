"""The offline dubbing voice: Piper where a Piper voice speaks the language, espeak-ng elsewhere.

TTS_PROVIDER=piper selects it. With the packaged voices that means Piper
(en_US joe) for English and espeak-ng for Spanish and Hebrew. It is also the
voice catalog: Piper voices first, so a language's default voice is the best one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from providers.base import SpeechChunk, TextToSpeech, Voice
from providers.espeak_tts import EspeakTextToSpeech
from providers.piper_tts import PiperTextToSpeech


class OfflineTextToSpeech:
    """Piper voices for their languages, espeak-ng for the rest."""

    name = "piper"

    def __init__(self, piper: PiperTextToSpeech, espeak: EspeakTextToSpeech) -> None:
        self.piper = piper
        self.espeak = espeak

    def engine_for(self, language: str, voice: str | None) -> TextToSpeech:
        """espeak-ng when it is asked for by voice or no Piper voice speaks the language."""
        if (voice or "").startswith("espeak:") or language not in self.piper.languages():
            return self.espeak
        return self.piper

    def synthesize(self, text: str, language: str, voice: str | None) -> AsyncIterator[SpeechChunk]:
        """Stream the speech from the engine that serves the language (and voice)."""
        return self.engine_for(language, voice).synthesize(text, language, voice)

    async def voices(self, language: str | None = None) -> list[Voice]:
        """Piper's voices, then espeak-ng's."""
        return [*await self.piper.voices(language), *await self.espeak.voices(language)]
