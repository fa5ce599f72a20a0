"""The offline dubbing voice: Piper where a Piper voice speaks the language, espeak-ng elsewhere.

TTS_PROVIDER=piper selects it. With the packaged voices that means Piper
(en_US joe) for English and espeak-ng for Spanish and Hebrew. TTS_PROVIDER=kokoro
puts Kokoro-82M in front for the languages it is set to speak (Spanish). It is
also the voice catalog, best engine first, so a language's default voice is the
best one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from providers.base import SpeechChunk, TextToSpeech, Voice
from providers.espeak_tts import EspeakTextToSpeech
from providers.kokoro_tts import KokoroTextToSpeech
from providers.piper_tts import PiperTextToSpeech


class OfflineTextToSpeech:
    """Kokoro (when given) and Piper voices for their languages, espeak-ng for the rest."""

    def __init__(
        self,
        piper: PiperTextToSpeech,
        espeak: EspeakTextToSpeech,
        kokoro: KokoroTextToSpeech | None = None,
    ) -> None:
        self.piper = piper
        self.espeak = espeak
        self.kokoro = kokoro
        self.name = "piper" if kokoro is None else "kokoro"

    def engine_for(self, language: str, voice: str | None) -> TextToSpeech:
        """The engine a voice names when it speaks the language, else the best that does."""
        named = (voice or "").partition(":")[0]
        kokoro = self.kokoro is not None and language in self.kokoro.languages()
        piper = language in self.piper.languages()
        if named == "espeak" or not (kokoro or piper):
            return self.espeak
        if self.kokoro is not None and kokoro and not (named == "piper" and piper):
            return self.kokoro
        return self.piper

    def synthesize(self, text: str, language: str, voice: str | None) -> AsyncIterator[SpeechChunk]:
        """Stream the speech from the engine that serves the language (and voice)."""
        return self.engine_for(language, voice).synthesize(text, language, voice)

    async def voices(self, language: str | None = None) -> list[Voice]:
        """Kokoro's voices, then Piper's, then espeak-ng's."""
        kokoro = await self.kokoro.voices(language) if self.kokoro is not None else []
        return [*kokoro, *await self.piper.voices(language), *await self.espeak.voices(language)]
