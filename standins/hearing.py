"""What the speech-to-text stand-in can "hear": recorded clips registered with what they say.

A real service recognises speech; a stand-in can only recognise audio it was
told about. Tests and benches register each clip they will stream (PCM s16le
16 kHz mono, with its text and language); the stand-in finds where a stretch
of incoming audio lies in a registered clip by its exact bytes (the pipeline
never changes audio on the way) and reveals the clip's words as the audio
reaching it covers them. Audio it was not told about is heard as nothing.

Non-speech clips (music, applause) carry the tag a provider would give them.
A clip may name its speaker (any string that stands for the voice), which a
provider that diarizes labels.
Clips can be written to a directory and loaded from one, for a stand-in in a
process of its own (`python -m standins`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

BYTES_PER_MS = 32  # 16 kHz s16le mono
FRAME_BYTES = 20 * BYTES_PER_MS
# Mean absolute amplitude above which a 20 ms frame counts as sound (speech or music).
SOUND_LEVEL = 300.0


def is_sound(frame: bytes) -> bool:
    """Whether a frame of s16le PCM is louder than background silence."""
    if len(frame) < 2:
        return False
    samples = np.frombuffer(frame[: len(frame) - len(frame) % 2], dtype="<i2")
    return float(np.abs(samples.astype(np.int32)).mean()) > SOUND_LEVEL


@dataclass(frozen=True)
class TimedWord:
    """A word of a clip and where it lies in the clip's audio (bytes)."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Clip:
    """A recording and what it says. `speech=False`: a non-speech sound whose text is its tag."""

    pcm: bytes
    text: str
    language: str
    speech: bool = True
    speaker: str | None = None

    @cached_property
    def words(self) -> tuple[TimedWord, ...]:
        """The clip's words spread over its sounding part by length (a tag is one 'word')."""
        frames = range(0, len(self.pcm) - FRAME_BYTES + 1, FRAME_BYTES)
        sounding = [at for at in frames if is_sound(self.pcm[at : at + FRAME_BYTES])]
        first = sounding[0] if sounding else 0
        last = sounding[-1] + FRAME_BYTES if sounding else len(self.pcm)
        tokens = self.text.split() if self.speech else [self.text]
        weights = [len(token) + 1 for token in tokens]
        total = sum(weights) or 1
        words, at = [], float(first)
        for token, weight in zip(tokens, weights, strict=True):
            span = (last - first) * weight / total
            start = int(at) - int(at) % 2
            end = int(at + span) - int(at + span) % 2
            words.append(TimedWord(token, start, end))
            at += span
        return tuple(words)

    @property
    def sound_end(self) -> int:
        """Where the clip's last word ends (bytes)."""
        return self.words[-1].end if self.words else len(self.pcm)


@dataclass
class Hearing:
    """The registered clips, and the lookup from a stretch of audio to its place in one."""

    clips: list[Clip] = field(default_factory=list)

    def register(
        self,
        pcm: bytes,
        text: str,
        language: str,
        *,
        speech: bool = True,
        speaker: str | None = None,
    ) -> Clip:
        """Make the stand-in recognise this audio as `speaker` saying `text` in `language`."""
        clip = Clip(pcm, text, language, speech, speaker)
        self.clips.append(clip)
        return clip

    def clear(self) -> None:
        """Forget every clip."""
        self.clips.clear()

    def place(self, window: bytes) -> tuple[Clip, int] | None:
        """The clip holding these exact bytes (sample-aligned), and their offset in it."""
        if not window:
            return None
        for clip in self.clips:
            at = clip.pcm.find(window)
            while at >= 0 and at % 2:
                at = clip.pcm.find(window, at + 1)
            if at >= 0:
                return clip, at
        return None

    def save(self, directory: Path) -> None:
        """Write every clip (raw PCM and its text) for a stand-in in another process."""
        directory.mkdir(parents=True, exist_ok=True)
        for index, clip in enumerate(self.clips):
            (directory / f"{index:04d}.pcm").write_bytes(clip.pcm)
            about = {
                "text": clip.text,
                "language": clip.language,
                "speech": clip.speech,
                "speaker": clip.speaker,
            }
            (directory / f"{index:04d}.json").write_text(json.dumps(about, ensure_ascii=False))

    @classmethod
    def load(cls, directory: Path) -> Hearing:
        """The clips `save` wrote."""
        hearing = cls()
        for about_file in sorted(directory.glob("*.json")):
            about = json.loads(about_file.read_text())
            pcm = about_file.with_suffix(".pcm").read_bytes()
            hearing.register(
                pcm,
                about["text"],
                about["language"],
                speech=about["speech"],
                speaker=about.get("speaker"),
            )
        return hearing
