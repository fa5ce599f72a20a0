"""What travels between the dataflow's steps, after decoding and before events.

Every item carries the session's settings, so no step needs a side lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from providers.base import ProviderError, Transcript, Translation
from wire.audio import SessionSettings


@dataclass(frozen=True)
class SpeechSegment:
    """An utterance (final) or the growing start of one (partial), ready for speech-to-text."""

    settings: SessionSettings
    segment: int
    pcm: bytes
    start_ms: int
    end_ms: int
    final: bool
    partial_index: int = 0
    source_ingress_ms: float = 0.0
    segmented_ms: float = 0.0  # wall clock when the segmenter closed it (benchmarks split on it)
    # A streaming provider may hear an utterance as several turns: turn k of the segment.
    turn: int = 0
    # Who said it: the session's speaker number (1, 2, ...), once the speakers step knows;
    # a streaming provider's own label for the turn's speaker (unique to its connection).
    speaker: int | None = None
    speaker_label: str | None = None

    @property
    def session_id(self) -> str:
        """The session it belongs to."""
        return self.settings.session_id

    @property
    def part(self) -> str:
        """Distinguishes a segment's partials, finals and turns in event ids."""
        turn = f"t{self.turn}" if self.turn else ""
        if self.final:
            return f"final{turn}" if turn else "final"
        return f"{turn}p{self.partial_index}"


@dataclass(frozen=True)
class StreamAudio:
    """Audio for a streaming speech-to-text provider, in order, as it arrives.

    `segment` is the number the utterance this audio belongs to gets (or the
    next one, in a pause); `position_ms` is where it begins in the session.
    `resumed`: the open utterance sent again after a restart of the flow.
    """

    settings: SessionSettings
    segment: int
    position_ms: int
    pcm: bytes
    source_ingress_ms: float = 0.0
    segmented_ms: float = 0.0
    resumed: bool = False

    @property
    def session_id(self) -> str:
        """The session it belongs to."""
        return self.settings.session_id


@dataclass(frozen=True)
class Voiceprint:
    """Who spoke a final segment: its d-vector, or None when it held too little speech to tell.

    `speech_ms` is how much speech the vector was made from: a short one is
    matched to the speakers already heard, never made a new one.
    """

    settings: SessionSettings
    segment: int
    vector: npt.NDArray[np.float32] | None
    speech_ms: int = 0
    turn: int = 0  # a streaming provider's turn k of the segment

    @property
    def session_id(self) -> str:
        """The session it belongs to."""
        return self.settings.session_id


@dataclass(frozen=True)
class StreamPause:
    """The session has been quiet for a while: close its provider stream (billed by the second)."""

    settings: SessionSettings

    @property
    def session_id(self) -> str:
        """The session it belongs to."""
        return self.settings.session_id


@dataclass(frozen=True)
class StreamEnd:
    """The session's stream ended: every segment before it has been emitted."""

    settings: SessionSettings
    segments: int

    @property
    def session_id(self) -> str:
        """The session it belongs to."""
        return self.settings.session_id


@dataclass(frozen=True)
class UsageTick:
    """The session's cumulative processed audio: a monotonic high-water mark.

    `resent_ms`: the audio its client sent again that was dropped (cumulative),
    leased twice by the ingress: the ledger gives it back to the session's lease.
    """

    settings: SessionSettings
    processed_ms: int
    final: bool = False
    resent_ms: int = 0


@dataclass(frozen=True)
class Transcribed:
    """A segment after speech-to-text (or its provider error)."""

    segment: SpeechSegment
    transcript: Transcript | None
    error: ProviderError | None = None
    provider_ms: float = 0.0

    @property
    def session_id(self) -> str:
        """The session it belongs to."""
        return self.segment.session_id


@dataclass(frozen=True)
class Translated:
    """A transcribed segment with its translations, keyed by target language."""

    transcribed: Transcribed
    translations: dict[str, Translation] = field(default_factory=dict)
    errors: dict[str, ProviderError] = field(default_factory=dict)
    provider_ms: float = 0.0

    @property
    def session_id(self) -> str:
        """The session it belongs to."""
        return self.transcribed.session_id


@dataclass(frozen=True)
class RouteChange:
    """A (re)started stream names where its results go from now on."""

    settings: SessionSettings


@dataclass(frozen=True)
class PathDone:
    """A path (transcript, subtitles, dubbing, usage) has emitted all of a session's events."""

    settings: SessionSettings
    path: str


def expected_paths(settings: SessionSettings, with_usage: bool) -> frozenset[str]:
    """The paths whose PathDone must arrive before the session's `ended` status."""
    paths = {"transcript"}
    if settings.live_subtitles:
        paths.add("subtitles")
    if settings.audio_dubbing:
        paths.add("dubbing")
    if with_usage:
        paths.add("usage")
    return frozenset(paths)
