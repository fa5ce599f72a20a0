"""Whisper over a window cut to the utterance plus a margin, instead of 30 seconds.

faster-whisper pads every segment to Whisper's 30 s window, and the encoder's
cost follows the window, not the speech: for a 2.5 s utterance about four
fifths of the work is padding. CTranslate2's encoder takes shorter inputs, so
the utterance is encoded with `pad_s` of silence after it and decoded from
that, about three to four times faster overall.

The margin is what keeps the decoder honest: with less than a few seconds of
silence after the speech, Whisper no longer sees where the speech ends and
repeats it. A text that compresses like a repetition (Whisper's own 2.4
threshold), or says a run of four words twice, is not trusted: the caller
decodes a final again over the full window and drops a partial (prefixes
cut mid-word loop far more often, 25 of 169 of the bench's sentences; the
next partial or the final follows within a second). Decoding is otherwise
the same as `WhisperModel.transcribe` with this provider's options (greedy,
no timestamps, silence dropped, word timings on request).

On 89 clips (Piper and espeak-ng English, with noise, with leading silence,
cut at 60%; espeak-ng Spanish), a 5 s margin gave the same word error rate as
the full window (0.043 against 0.059) at 3.8x the speed; 3 of the 89 fell back.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_suppressed_tokens, merge_punctuations

from providers.base import Word
from providers.speech_text import repeats_itself

FULL_WINDOW_FRAMES = 3000  # 30 s of 10 ms feature frames
# Fast speech is about 5 tokens a second; twice that, plus a sentence, is a loop.
MOST_TOKENS, MOST_TOKENS_PER_S = 20, 10
# The full window runs with WhisperModel.transcribe's defaults; so does this.
_DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(WhisperModel.transcribe).parameters.items()
}
NO_SPEECH_PROB: float = _DEFAULTS["no_speech_threshold"]
LOW_LOGPROB: float = _DEFAULTS["log_prob_threshold"]
PREPENDED: str = _DEFAULTS["prepend_punctuations"]
APPENDED: str = _DEFAULTS["append_punctuations"]


@dataclass(frozen=True)
class WindowText:
    """What the short window heard: the text, and its words with their timings.

    `repeated`: the text repeats itself, so it is not to be trusted.
    """

    text: str
    words: tuple[Word, ...] = ()
    repeated: bool = False


def transcribe_window(
    model: WhisperModel, audio: np.ndarray, language: str, *, pad_s: float, words: bool
) -> WindowText | None:
    """The utterance decoded over a short window; None when it is too long for one."""
    [heard] = transcribe_windows(model, [audio], [language], pad_s=pad_s, words=words)
    return heard


def transcribe_windows(
    model: WhisperModel,
    audios: Sequence[np.ndarray],
    languages: Sequence[str],
    *,
    pad_s: float,
    words: bool = False,
) -> list[WindowText | None]:
    """Several utterances in one encoder call and one decoder call; None for one too long.

    On the CPU a batch costs far less than its parts one by one (with tiny.en,
    two utterances on one thread in 1.2 times one's time): the decoder's steps
    are shared. Each utterance is padded to the longest one's window, which
    only gives it more silence after its speech. Word timings (`words`) are
    aligned one utterance at a time.
    """
    features = [model.feature_extractor(audio) for audio in audios]
    margin = round(pad_s * 100)
    short = [i for i, f in enumerate(features) if f.shape[-1] + margin < FULL_WINDOW_FRAMES]
    heard: list[WindowText | None] = [None] * len(audios)
    if not short:
        return heard
    window = max(features[i].shape[-1] for i in short) + margin
    padded = np.zeros((len(short), features[0].shape[0], window), dtype=np.float32)
    for row, i in enumerate(short):
        padded[row, :, : features[i].shape[-1]] = features[i]
    encoded = model.model.encode(ctranslate2.StorageView.from_array(padded), to_cpu=False)

    tokenizers = [
        Tokenizer(model.hf_tokenizer, model.model.is_multilingual, "transcribe", languages[i])
        for i in short
    ]
    prompts = [[*t.sot_sequence, t.no_timestamps] for t in tokenizers]
    # A loop stops at well past what anyone says in that time, not at Whisper's limit.
    longest = max(features[i].shape[-1] for i in short)
    most = 2 * (MOST_TOKENS + round(longest / 100 * MOST_TOKENS_PER_S))
    results = model.model.generate(
        encoded,
        prompts,
        beam_size=1,
        max_length=min(model.max_length, max(len(p) for p in prompts) + most),
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=list(get_suppressed_tokens(tokenizers[0], (-1,))),
    )
    for row, i in enumerate(short):
        text_of = _heard(results[row], tokenizers[row])
        if words and text_of.text and not text_of.repeated:
            tokens = [t for t in results[row].sequences_ids[0] if t < tokenizers[row].eot]
            frames = features[i].shape[-1]
            one = encoded
            if len(short) > 1:  # the alignment takes one utterance's encoding
                alone = ctranslate2.StorageView.from_array(padded[row : row + 1])
                one = model.model.encode(alone, to_cpu=False)
            text_of = WindowText(
                text_of.text, _word_timings(model, tokenizers[row], tokens, one, frames)
            )
        heard[i] = text_of
    return heard


def _heard(result: Any, tokenizer: Tokenizer) -> WindowText:
    """One utterance's decoding: its text, unless it loops or is silence."""
    tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
    text = tokenizer.decode(tokens).strip()
    if repeats_itself(text):
        return WindowText(text, repeated=True)
    # Whisper's own silence rule: no speech, and no confident text either.
    mean_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
    if result.no_speech_prob > NO_SPEECH_PROB and mean_logprob < LOW_LOGPROB:
        return WindowText("")
    return WindowText(text)


def _word_timings(
    model: WhisperModel,
    tokenizer: Tokenizer,
    tokens: list[int],
    encoded: ctranslate2.StorageView,
    frames: int,
) -> tuple[Word, ...]:
    (alignment,) = model.find_alignment(tokenizer, [tokens], encoded, frames)
    merge_punctuations(alignment, PREPENDED, APPENDED)
    return tuple(
        timed_word(timing["word"], timing["start"], timing["end"])
        for timing in alignment
        if timing["word"].strip()
    )


def timed_word(text: str, start_s: float, end_s: float) -> Word:
    """A word as Whisper times it (seconds into the segment), in the provider's terms."""
    return Word(text.strip(), round(start_s * 1000), round(end_s * 1000))
