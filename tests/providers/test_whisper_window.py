"""Whisper over a short window: the same words, repetitions caught, silence kept silent."""

from __future__ import annotations

import numpy as np

from providers.pcm import pcm_to_float
from providers.whisper_stt import WhisperSpeechToText
from providers.whisper_window import transcribe_window, transcribe_windows
from tests.providers.speech import ENGLISH, word_error_rate

# With a second of margin Whisper repeats this sentence over and over.
REPEATED = ENGLISH[1]


async def test_a_five_second_margin_hears_each_sentence(
    whisper: WhisperSpeechToText, english_speech: dict[str, bytes]
) -> None:
    model = whisper.model_for("en")
    for sentence, pcm in english_speech.items():
        heard = transcribe_window(model, pcm_to_float(pcm), "en", pad_s=5.0, words=False)
        assert heard is not None
        assert word_error_rate(sentence, heard.text) <= 0.2, heard.text


async def test_a_text_that_repeats_itself_is_not_trusted(
    whisper: WhisperSpeechToText, english_speech: dict[str, bytes]
) -> None:
    audio = pcm_to_float(english_speech[REPEATED])
    heard = transcribe_window(whisper.model_for("en"), audio, "en", pad_s=1.0, words=False)
    assert heard is not None and heard.repeated
    assert len(heard.text) < 40 * len(REPEATED)  # cut short, not run to Whisper's limit


async def test_the_provider_falls_back_to_the_full_window_rather_than_repeat(
    english_speech: dict[str, bytes],
) -> None:
    tight = WhisperSpeechToText(("en",), workers=2, window_pad_s=1.0)
    transcript = await tight.transcribe(english_speech[REPEATED], "en")
    assert word_error_rate(REPEATED, transcript.text) <= 0.2, transcript.text


async def test_a_partial_that_repeats_itself_comes_back_empty(
    english_speech: dict[str, bytes],
) -> None:
    # The final follows; a full window for a partial would only hold a core.
    tight = WhisperSpeechToText(("en",), workers=2, window_pad_s=1.0)
    partial = await tight.transcribe(english_speech[REPEATED], "en", final=False)
    assert (partial.text, partial.final) == ("", False)


async def test_silence_and_hiss_are_heard_as_nothing(whisper: WhisperSpeechToText) -> None:
    model = whisper.model_for("en")
    hiss = np.random.default_rng(0).normal(0, 0.005, 3 * 16000).astype(np.float32)
    for audio in (np.zeros(16000, np.float32), hiss):
        heard = transcribe_window(model, audio, "en", pad_s=5.0, words=True)
        assert heard is not None and (heard.text, heard.words) == ("", ())


async def test_speech_too_long_for_a_short_window_takes_the_full_one(
    whisper: WhisperSpeechToText,
) -> None:
    long = np.zeros(26 * 16000, np.float32)  # 26 s + 5 s of margin is past 30 s
    assert transcribe_window(whisper.model_for("en"), long, "en", pad_s=5.0, words=False) is None


async def test_a_batch_hears_each_utterance_as_it_is_heard_alone(
    whisper: WhisperSpeechToText, english_speech: dict[str, bytes]
) -> None:
    model = whisper.model_for("en")
    sentences = list(english_speech)
    audios = [pcm_to_float(english_speech[s]) for s in sentences]
    alone = [transcribe_window(model, a, "en", pad_s=5.0, words=False) for a in audios]
    # With one too long for a short window among them: it is left for the full one.
    batch = transcribe_windows(
        model, [*audios, np.zeros(26 * 16000, np.float32)], ["en"] * (len(audios) + 1), pad_s=5.0
    )
    assert batch[-1] is None
    for sentence, one, together in zip(sentences, alone, batch, strict=False):
        assert one is not None and together is not None
        assert word_error_rate(sentence, together.text) <= 0.2, together.text
        assert (
            word_error_rate(one.text, together.text) <= 0.1
        )  # padding the shorter ones changes little
