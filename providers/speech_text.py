"""Which text a speech engine returned is speech, whatever the engine.

Engines also write down what is not speech: whisper-rt tags sounds in
brackets (`[Music]`, `[Silence]`, `[Música]`), Whisper writes `(music)` or
notes (`♪`), and a decoder that loses its way repeats itself (on synthetic
Hebrew, Whisper's full window once gave some 200 repeats of one letter).
None of it may become a transcript, a subtitle or a dub: `spoken_text` keeps
only what was said.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import replace

from providers.base import Transcript

# Whisper's own test for a repetition (faster-whisper's compression_ratio_threshold).
REPETITION_RATIO = 2.4
# A run of this many words said twice in one utterance: a loop, not speech.
LOOPED_WORDS = 4
_WORD = re.compile(r"[\w']+")
_NON_SPEECH = re.compile(r"\[[^\]]*\]|\([^)]*\)|[♪♫♬]+")


def compression_ratio(text: str) -> float:
    """How well the text compresses (Whisper's measure: repeated text compresses well)."""
    data = text.encode()
    return len(data) / len(zlib.compress(data)) if data else 0.0


def repeats_itself(text: str) -> bool:
    """A decoder's loop: the text compresses like a repetition, or a run of words comes twice."""
    if compression_ratio(text) > REPETITION_RATIO:
        return True
    words = _WORD.findall(text.lower())
    runs = [tuple(words[i : i + LOOPED_WORDS]) for i in range(len(words) - LOOPED_WORDS + 1)]
    return len(set(runs)) < len(runs)


def spoken_text(text: str) -> str:
    """The speech in an engine's text: tags of sounds removed; "" when none is left or it loops."""
    said = " ".join(_NON_SPEECH.sub(" ", text).split())
    if not any(char.isalnum() for char in said) or repeats_itself(said):
        return ""
    return said


def spoken(transcript: Transcript) -> Transcript:
    """A transcript with only its speech: no tags of sounds, and no text at all if it loops."""
    text = spoken_text(transcript.text)
    if text == transcript.text:
        return transcript
    words = tuple(word for word in transcript.words if text and spoken_text(word.text))
    return replace(transcript, text=text, words=words)
