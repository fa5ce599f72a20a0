"""What counts as speech in an engine's text: tags of sounds and loops never do."""

from __future__ import annotations

import pytest

from providers.speech_text import repeats_itself, spoken_text


def test_a_loop_is_told_from_speech() -> None:
    assert repeats_itself("Good evening and welcome. Good evening and welcome to the news")
    assert repeats_itself("the the the the the the the the the the the the the the the the")
    assert repeats_itself("ה" * 200)  # Whisper's full window on synthetic Hebrew
    assert repeats_itself(" ".join(["ש"] * 200))
    assert not repeats_itself("Good evening and welcome to the news from Jerusalem.")
    assert not repeats_itself("No, no, no. I said the red one, not the blue one.")
    assert not repeats_itself("ערב טוב וברוכים הבאים למהדורת החדשות.")


@pytest.mark.parametrize(
    "heard",
    [
        "[Music]",
        "[ Silence] [ Silence]",
        "[Música]",
        "(upbeat music)",
        "♪ ♪",
        "  ",
        "...",
        "ה" * 200,
    ],
)
def test_sounds_and_loops_are_not_speech(heard: str) -> None:
    assert spoken_text(heard) == ""


def test_speech_keeps_its_words_without_the_tags() -> None:
    assert (
        spoken_text("[Music] Good evening and welcome. [Applause]") == "Good evening and welcome."
    )
    assert spoken_text("ערב טוב ♪") == "ערב טוב"
    assert spoken_text("Breaking news from Tel Aviv.") == "Breaking news from Tel Aviv."
