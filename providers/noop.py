"""The no-op provider set: a benchmark and test mode, never for viewers.

Selected with STT_PROVIDER=noop, TRANSLATION_PROVIDER=noop, TTS_PROVIDER=noop.
No engine runs: outputs are derived from input sizes, so capacity benchmarks
measure the pipeline (ingress, Kafka, Bytewax, fan-out) and not the models.

- speech-to-text: `speech-1.23s`, the segment's duration, as one word (no brackets:
  those mark sounds, not speech, and are dropped);
- translation: the source text, marked `untranslated` (unless the languages match);
- text-to-speech: silence, `SECONDS_PER_CHARACTER` per character of text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from providers.base import SpeechChunk, Transcript, Translation, Voice, Word
from providers.batches import kept
from providers.pcm import SAMPLE_WIDTH, duration_seconds

SECONDS_PER_CHARACTER = 0.06  # about the pace of read-out speech
CHUNK_SECONDS = 0.5


class NoopSpeechToText:
    """Transcript `speech-N.NNs` for any segment, at no cost."""

    name = "noop"

    def __init__(self, languages: Sequence[str], sample_rate: int = 16000) -> None:
        self._languages = frozenset(languages)
        self._sample_rate = sample_rate

    def languages(self) -> frozenset[str]:
        """The languages configured for the service."""
        return self._languages

    async def transcribe(self, pcm: bytes, language: str, *, final: bool = True) -> Transcript:
        """A transcript naming the segment's duration."""
        seconds = duration_seconds(pcm, self._sample_rate)
        text = f"speech-{seconds:.2f}s"
        word = Word(text=text, start_ms=0, end_ms=round(seconds * 1000))
        return Transcript(text=text, language=language, words=(word,), final=final)


class NoopTranslator:
    """Echoes the source text, marked untranslated."""

    name = "noop"

    async def translate(
        self, texts: Sequence[str], source: str, target: str, *, glossary: str | None = None
    ) -> list[Translation]:
        """The texts unchanged; `untranslated` unless source and target are the same."""
        return kept(texts, source, target)


class NoopTextToSpeech:
    """Silence as long as the text would take to say, in one silent voice per language."""

    name = "noop"

    def __init__(self, languages: Sequence[str], sample_rate: int = 16000) -> None:
        self._languages = tuple(languages)
        self._sample_rate = sample_rate

    async def synthesize(
        self, text: str, language: str, voice: str | None
    ) -> AsyncIterator[SpeechChunk]:
        """Chunks of silence, `SECONDS_PER_CHARACTER` per character."""
        samples = round(len(text.strip()) * SECONDS_PER_CHARACTER * self._sample_rate)
        step = round(CHUNK_SECONDS * self._sample_rate)
        for start in range(0, samples, step):
            count = min(step, samples - start)
            yield SpeechChunk(pcm=bytes(count * SAMPLE_WIDTH), sample_rate=self._sample_rate)

    async def voices(self, language: str | None = None) -> list[Voice]:
        """The `noop` voice for the language, or for every configured language."""
        wanted = [lang for lang in self._languages if language in (None, lang)]
        return [Voice("noop", "Silence (benchmark mode)", lang, provider="noop") for lang in wanted]
