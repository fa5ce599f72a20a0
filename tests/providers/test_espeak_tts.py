"""espeak-ng: Spanish and Hebrew speech, its voices, and its subprocess kept in check."""

from __future__ import annotations

import pytest

from providers.base import ProviderError
from providers.espeak_tts import VARIANTS, EspeakTextToSpeech, parse_voices
from tests.providers.speech import collect_speech, rms_dbfs
from wire.errors import ErrorCode

SPANISH = "Buenas noches y bienvenidos a las noticias."
HEBREW = "ערב טוב וברוכים הבאים"


@pytest.mark.parametrize(("text", "language"), [(SPANISH, "es"), (HEBREW, "he")])
async def test_speech_has_plausible_length_and_loudness(
    espeak: EspeakTextToSpeech, text: str, language: str
) -> None:
    pcm, rate, _ = await collect_speech(espeak.synthesize(text, language, None))
    seconds = len(pcm) / 2 / rate
    assert rate == 16000
    assert 0.03 * len(text) <= seconds <= 0.15 * len(text)
    assert -35 <= rms_dbfs(pcm) <= -6


async def test_a_named_voice_is_used_when_it_speaks_the_language(
    espeak: EspeakTextToSpeech,
) -> None:
    assert await espeak.choose("es", "espeak:es-419") == "es-419"
    assert await espeak.choose("es", "espeak:en-us") == "es"  # not Spanish: the default
    # A variant of a voice (a timbre of its own), on the voice named or the language's first.
    assert await espeak.choose("es", "espeak:es-419+m7") == "es-419+m7"
    assert await espeak.choose("es", "espeak:en-us+f3") == "es+f3"
    assert await espeak.choose("es", "espeak:es+nonsense") == "es"  # only the listed variants


async def test_voices_come_from_espeak_ng(espeak: EspeakTextToSpeech) -> None:
    spanish = await espeak.voices("es")
    assert {"espeak:es", "espeak:es-419"} <= {v.id for v in spanish}
    assert all(v.language == "es" and v.provider == "espeak" for v in spanish)
    hebrew = [v.id for v in await espeak.voices("he")]
    assert hebrew == ["espeak:he", *(f"espeak:he+{variant}" for variant in VARIANTS)]


async def test_variants_sound_unlike_the_voice_they_vary(espeak: EspeakTextToSpeech) -> None:
    plain, _, _ = await collect_speech(espeak.synthesize("Buenas noches.", "es", "espeak:es"))
    female, _, _ = await collect_speech(espeak.synthesize("Buenas noches.", "es", "espeak:es+f3"))
    assert plain and female and plain != female


async def test_a_language_espeak_does_not_know_is_language_unsupported(
    espeak: EspeakTextToSpeech,
) -> None:
    with pytest.raises(ProviderError) as raised:
        await collect_speech(espeak.synthesize("text", "xx", None))
    assert raised.value.code is ErrorCode.LANGUAGE_UNSUPPORTED


async def test_stopping_early_ends_the_stream_cleanly(espeak: EspeakTextToSpeech) -> None:
    speech = espeak.synthesize(SPANISH * 5, "es", None)
    first = await anext(speech)
    await speech.aclose()  # type: ignore[attr-defined]
    assert first.pcm


def test_voice_listing_is_parsed_without_variants() -> None:
    listing = (
        "Pty Language       Age/Gender VoiceName          File                 Other Languages\n"
        " 5  es-419          --/M      Spanish_(Latin_America) roa/es-419           (es-mx 6)\n"
        " 7  es-es           --/F      spanish-mbrola-3   mb/mb-es3            (es 3)\n"
        " 5  variant         --/M      Storm              !v/Storm             (en-us 5)\n"
    )
    voices = parse_voices(listing)
    assert [(v.language, v.name, v.gender, v.mbrola) for v in voices] == [
        ("es-419", "Spanish (Latin America)", "male", False),
        ("es-es", "spanish-mbrola-3", "female", True),
    ]
