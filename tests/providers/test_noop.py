"""The no-op providers (benchmark mode): outputs derived from input sizes, nothing else."""

from __future__ import annotations

from providers.noop import (
    SECONDS_PER_CHARACTER,
    NoopSpeechToText,
    NoopTextToSpeech,
    NoopTranslator,
)
from tests.providers.speech import collect_speech


async def test_the_transcript_names_the_segments_duration() -> None:
    transcript = await NoopSpeechToText(["he"]).transcribe(bytes(2 * 19680), "he")
    assert (transcript.text, transcript.language, transcript.final) == (
        "speech-1.23s",
        "he",
        True,
    )
    assert transcript.words[0].end_ms == 1230


async def test_translation_echoes_marked_untranslated() -> None:
    results = await NoopTranslator().translate(["שלום", "hello"], "he", "en")
    assert [(r.text, r.untranslated) for r in results] == [("שלום", True), ("hello", True)]
    (same,) = await NoopTranslator().translate(["hello"], "en", "en")
    assert not same.untranslated


async def test_speech_is_silence_in_proportion_to_the_text() -> None:
    tts = NoopTextToSpeech(["en", "es"], sample_rate=16000)
    pcm, rate, chunks = await collect_speech(tts.synthesize("x" * 50, "en", None))
    assert rate == 16000 and chunks == 6 and set(pcm) == {0}
    assert len(pcm) / 2 / rate == 50 * SECONDS_PER_CHARACTER
    assert [v.language for v in await tts.voices()] == ["en", "es"]
    assert [v.id for v in await tts.voices("es")] == ["noop"]
