"""Voice activity detection with WebRTC's VAD (webrtcvad-wheels), framed at 30 ms.

WebRTC VAD classifies 10/20/30 ms frames; we add the hysteresis that turns
frame decisions into utterances: start on a mostly-voiced window (kept as
pre-roll), end after enough trailing silence.

The WebRTC detector adapts to the audio it has seen and its state cannot be
pickled. To make a resumed session decide exactly as the original run did, the
detector restarts at deterministic points (an utterance's end, or a stretch of
non-speech) and the audio since the last restart is kept in the snapshot; a
restore replays it into a fresh detector.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

import webrtcvad

SAMPLE_RATE = 16000
FRAME_MS = 30
FRAME_BYTES = SAMPLE_RATE * 2 * FRAME_MS // 1000


@dataclass
class VadState:
    """Everything the detector remembers between calls (picklable for snapshots)."""

    leftover: bytes = b""
    window: deque[bool] = field(default_factory=deque)
    in_speech: bool = False
    trailing_silence: int = 0
    # 30 ms frames since the last restart. The same bytes objects are also the
    # utterance's frames (see the segmenter), so a snapshot pickles them once.
    history: list[bytes] = field(default_factory=list)


class VadDecision(NamedTuple):
    """One 30 ms frame and what it means for the utterance (a tuple: one per 30 ms of audio)."""

    frame: bytes
    starts: bool
    ends: bool
    in_speech: bool


class SpeechDetector:
    """Utterance hysteresis over WebRTC VAD; one per session."""

    def __init__(
        self,
        aggressiveness: int = 2,
        start_window: int = 5,
        silence_ms: int = 330,
        restart_after_ms: int = 3000,
    ) -> None:
        self.aggressiveness = aggressiveness
        self.start_window = start_window
        self.silence_frames = max(1, silence_ms // FRAME_MS)
        self.restart_after_frames = max(1, restart_after_ms // FRAME_MS)
        self._vad = webrtcvad.Vad(aggressiveness)

    def restore(self, state: VadState) -> None:
        """Bring a fresh detector to where the snapshot's detector was."""
        self._vad = webrtcvad.Vad(self.aggressiveness)
        for frame in state.history:
            self._vad.is_speech(frame, SAMPLE_RATE)

    def feed(self, state: VadState, pcm: bytes) -> list[VadDecision]:
        """Classify the new audio frame by frame; leftovers wait for the next call."""
        data = state.leftover + pcm
        usable = len(data) - len(data) % FRAME_BYTES
        state.leftover = data[usable:]
        decisions = []
        for offset in range(0, usable, FRAME_BYTES):
            frame = data[offset : offset + FRAME_BYTES]
            voiced = self._vad.is_speech(frame, SAMPLE_RATE)
            state.history.append(frame)
            decision = self._decide(state, frame, voiced)
            decisions.append(decision)
            long_quiet = not state.in_speech and len(state.history) >= self.restart_after_frames
            if decision.ends or long_quiet:
                self.restart(state)
        return decisions

    def restart(self, state: VadState) -> None:
        """Forget the adaptation (and the history a restore would replay)."""
        self._vad = webrtcvad.Vad(self.aggressiveness)
        state.history = []

    def _decide(self, state: VadState, frame: bytes, voiced: bool) -> VadDecision:
        if not state.in_speech:
            state.window.append(voiced)
            if len(state.window) > self.start_window:
                state.window.popleft()
            # Start on a mostly voiced window: a lone click does not open an utterance.
            if sum(state.window) * 5 >= self.start_window * 3 and voiced:
                state.in_speech = True
                state.trailing_silence = 0
                state.window.clear()
                return VadDecision(frame, starts=True, ends=False, in_speech=True)
            return VadDecision(frame, starts=False, ends=False, in_speech=False)
        state.trailing_silence = 0 if voiced else state.trailing_silence + 1
        if state.trailing_silence >= self.silence_frames:
            state.in_speech = False
            state.trailing_silence = 0
            return VadDecision(frame, starts=False, ends=True, in_speech=True)
        return VadDecision(frame, starts=False, ends=False, in_speech=True)
