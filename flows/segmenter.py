"""Per-session segmentation: order frames, drop repeats, find utterances, count audio.

Frames that say where they lie in the session's audio (`AudioFrame.audio_offset`,
as the client counts what it sent) are taken from the end of what the session
has: a reconnecting client sends its last seconds again, and what overlaps is
dropped to the sample, so it is neither segmented nor charged twice. A frame
that begins after that end means audio that never arrived: logged and counted
(`livedub_flow_audio_lost_seconds`), and the stream goes on.

`SessionSegmenter` is the logic of the flow's one stateful step. It is a plain
class (testable without a dataflow) whose whole state is a picklable
`SessionState`, snapshotted by Bytewax recovery together with the Kafka
offsets, so a replay after a crash re-derives the same segments with the same
numbers (and so the same event ids), and the same usage high-water marks.

The audio a session holds (open utterance, pre-roll, VAD history, leftover) is
always the newest bytes of its stream. Frames read from the audio topic know
their position there, so a snapshot keeps just those positions and the counts,
and a restore reads the bytes back (`flows.audio_log`): snapshots stay small
and the worker is not held up writing audio to the recovery store.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bytewax.operators import StatefulBatchLogic

from flows.audio_log import AudioLog, Position
from flows.items import (
    RouteChange,
    SpeechSegment,
    StreamAudio,
    StreamEnd,
    StreamPause,
    UsageTick,
)
from flows.metrics import METRICS
from flows.vad import FRAME_BYTES, FRAME_MS, SpeechDetector, VadState
from state.quotas import has_quota
from wire.audio import AudioFrame, AudioRecord, EndRecord, SessionSettings, StartRecord
from wire.errors import ErrorCode
from wire.events import ResultEvent, error_event, event_id

SAMPLES_PER_MS = 16
BYTES_PER_MS = SAMPLES_PER_MS * 2

SegmenterOutput = (
    SpeechSegment | StreamAudio | StreamPause | StreamEnd | UsageTick | RouteChange | ResultEvent
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SegmenterConfig:
    """Tunables of utterance detection (see settings for their environment names)."""

    silence_ms: int = 330
    max_utterance_ms: int = 8000
    min_utterance_ms: int = 240
    partial_first_ms: int = 800
    partial_interval_ms: int = 1000
    partials: bool = True
    partial_max_lag_ms: int = 300
    preroll_ms: int = 240
    max_gap_frames: int = 50
    idle_timeout_s: float = 900.0
    backlog_warn_ms: int = 3000
    vad_aggressiveness: int = 2
    with_usage: bool = True
    # Free sessions tick every second: their quota is enforced on ticks. Premium
    # ones have none to enforce (the extension ignores their remaining time), so
    # a tick every 10 s keeps the ledger current with a tenth of the events.
    usage_tick_ms: int = 1000
    unmetered_usage_tick_ms: int = 10_000
    # A streaming speech-to-text provider hears the audio itself as it arrives
    # (`StreamAudio`), from the first speech until `stream_idle_ms` without any;
    # each utterance's end still comes as a final segment (it ends the turn).
    live_stream: bool = False
    stream_idle_ms: int = 15_000


@dataclass(frozen=True)
class HeldAudio:
    """How many of the newest VAD frames (and leftover bytes) each part of the state held.

    In a snapshot whose audio stayed on the topic, in place of the audio itself.
    """

    history: int
    utterance: int
    preroll: int
    leftover_bytes: int

    @property
    def total_bytes(self) -> int:
        """The stream's newest bytes that hold all of them."""
        return _bytes_held(self.history, self.utterance, self.preroll, self.leftover_bytes)


@dataclass
class SessionState:
    """A session's segmentation state; everything here is snapshotted."""

    session_id: str = ""
    settings: SessionSettings | None = None
    next_seq: int = 0
    pending: dict[int, AudioFrame] = field(default_factory=dict)
    vad: VadState = field(default_factory=VadState)
    processed_bytes: int = 0
    segment: int = 0
    preroll: deque[bytes] = field(default_factory=deque)
    utterance: list[bytes] = field(default_factory=list)  # 30 ms frames, shared with the VAD
    utterance_bytes: int = 0
    # The frames the held audio came from, oldest first: their topic position
    # (None when not read from the topic) and length.
    sources: deque[tuple[Position | None, int]] = field(default_factory=deque)
    sources_bytes: int = 0
    held_on_topic: HeldAudio | None = None  # set in snapshots only
    utterance_start_bytes: int = 0
    partials_emitted: int = 0
    charged_ms: int = -1
    last_ingress_ms: float = 0.0
    last_activity: float = field(default_factory=time.time)
    warned_unstarted: bool = False
    streaming: bool = False  # the provider stream hears the session's audio
    stream_quiet_bytes: int = 0  # audio without speech since the stream last heard some
    # The end of the audio taken, in the client's count of the session's bytes, and
    # what was dropped as sent again or found missing (defaults: older snapshots).
    audio_end: int = 0
    resent_bytes: int = 0
    lost_bytes: int = 0


class SessionSegmenter(StatefulBatchLogic[AudioRecord, SegmenterOutput, SessionState]):
    """Turns one session's records into speech segments, usage ticks and its end."""

    def __init__(
        self,
        config: SegmenterConfig,
        resume: SessionState | None = None,
        audio_log: AudioLog | None = None,
    ) -> None:
        self.config = config
        self.state = resume if resume is not None else SessionState()
        self.detector = SpeechDetector(config.vad_aggressiveness, silence_ms=config.silence_ms)
        self._restored_from: AudioLog | None = None
        self._stream_out = bytearray()
        self._stream_from = 0
        # After a restart the provider stream is new: it must hear the open utterance again.
        self._resend_utterance = resume is not None and config.live_stream
        if resume is not None:
            if resume.held_on_topic is not None:
                self._read_back_audio(resume.held_on_topic, audio_log)
                self._restored_from = audio_log
            self.detector.restore(resume.vad)

    # -- Bytewax hooks -------------------------------------------------------

    def on_batch(self, values: list[AudioRecord]) -> tuple[list[SegmenterOutput], bool]:
        """Process a batch of records; partials and usage are coalesced per batch."""
        out: list[SegmenterOutput] = []
        state = self.state
        state.last_activity = time.time()
        if self._restored_from is not None:  # running again: restores are over
            self._restored_from.forget()
            self._restored_from = None
        if self._resend_utterance:
            self._resend_utterance = False
            self._resend_open_utterance(out)
        for record in values:
            state.session_id = record.session_id
            if isinstance(record, StartRecord):
                state.settings = record.settings
                out.append(RouteChange(record.settings))
                self._continue_from(record.first_seq, out)
            elif isinstance(record, AudioFrame):
                self._accept_frame(record, out)
            elif isinstance(record, EndRecord) and state.settings is not None:
                self._finish(out)
                return out, StatefulBatchLogic.DISCARD
        self._emit_partial(out)
        self._flush_stream(out)
        self._emit_usage(out, final=False)
        self._report_backlog(out)
        return out, StatefulBatchLogic.RETAIN

    def on_notify(self) -> tuple[list[SegmenterOutput], bool]:
        """The client went silent past the idle timeout: close the session's stream."""
        out: list[SegmenterOutput] = []
        if self.state.settings is not None:
            self._finish(out)
        return out, StatefulBatchLogic.DISCARD

    def notify_at(self) -> datetime | None:
        """Wake at the idle deadline (wall clock, so it survives restarts)."""
        deadline = self.state.last_activity + self.config.idle_timeout_s
        return datetime.fromtimestamp(deadline, UTC)

    def snapshot(self) -> SessionState:
        """A copy of the containers, with the held audio's topic positions in place of it.

        Audio not read from the topic (file mode) is kept in the snapshot; the
        frames are immutable and shared, not copied.
        """
        state = self.state
        vad = state.vad
        copy = dataclasses.replace(
            state,
            pending=dict(state.pending),
            vad=dataclasses.replace(vad, window=deque(vad.window), history=list(vad.history)),
            preroll=deque(state.preroll),
            utterance=list(state.utterance),
            sources=deque(state.sources),
        )
        if state.sources and all(position is not None for position, _ in state.sources):
            copy.held_on_topic = _held(state)
            copy.vad.history, copy.vad.leftover = [], b""
            copy.preroll, copy.utterance = deque(), []
        return copy

    def _read_back_audio(self, held: HeldAudio, audio_log: AudioLog | None) -> None:
        """Put the held audio back from the topic; without it, start the next utterance afresh."""
        state = self.state
        state.held_on_topic = None
        positions = [position for position, _ in state.sources if position is not None]
        frames = audio_log.frames_at(state.session_id, positions) if audio_log else None
        # A frame that overlapped what the session had gave only its tail.
        pcm = b"".join(
            frame.pcm[len(frame.pcm) - taken :]
            for frame, (_, taken) in zip(frames or [], state.sources, strict=False)
        )
        if frames is None or len(pcm) != state.sources_bytes:
            log.error(
                "session %s: held audio not found on the audio topic; its open utterance is lost",
                state.session_id,
            )
            state.vad.in_speech, state.vad.trailing_silence = False, 0
            state.utterance_bytes = 0
            state.sources, state.sources_bytes = deque(), 0
            return
        tail = pcm[len(pcm) - held.total_bytes :]
        body = tail[: len(tail) - held.leftover_bytes]
        vad_frames = [body[i : i + FRAME_BYTES] for i in range(0, len(body), FRAME_BYTES)]
        state.vad.leftover = tail[len(body) :]
        state.vad.history = _newest(vad_frames, held.history)
        state.utterance = _newest(vad_frames, held.utterance)
        state.preroll = deque(_newest(vad_frames, held.preroll))

    # -- frames ----------------------------------------------------------------

    def _accept_frame(self, frame: AudioFrame, out: list[SegmenterOutput]) -> None:
        state = self.state
        if state.settings is None:
            if not state.warned_unstarted:
                state.warned_unstarted = True
                out.append(
                    error_event(
                        state.session_id,
                        ErrorCode.RECORD_INVALID,
                        "audio frames arrived before the session's start record; dropped",
                        part="unstarted",
                    )
                )
            return
        if frame.seq < state.next_seq or frame.seq in state.pending:
            return  # a repeat (producer retry or replay): already counted
        state.pending[frame.seq] = frame
        if len(state.pending) > self.config.max_gap_frames and state.next_seq not in state.pending:
            state.next_seq = min(state.pending)  # the gap will not fill: move on
        self._drain_pending(out)

    def _drain_pending(self, out: list[SegmenterOutput]) -> None:
        state = self.state
        while state.next_seq in state.pending:
            ready = state.pending.pop(state.next_seq)
            state.next_seq += 1
            state.last_ingress_ms = max(state.last_ingress_ms, ready.ingress_ms)
            pcm = self._new_audio(ready)
            if pcm:
                self._segment_audio(pcm, out)
                self._note_source(ready, len(pcm))

    def _new_audio(self, frame: AudioFrame) -> bytes:
        """The part of the frame past the end of the session's audio so far."""
        state = self.state
        at = frame.audio_offset
        if at is None:  # placed by nobody: it follows what came before
            state.audio_end += len(frame.pcm)
            return frame.pcm
        if at > state.audio_end:
            missing = at - state.audio_end
            state.lost_bytes += missing
            METRICS.audio_lost_seconds.inc(missing / (BYTES_PER_MS * 1000))
            log.warning(
                "session %s: %d ms of audio never arrived (lost on its way to the audio topic)",
                state.session_id,
                missing // BYTES_PER_MS,
            )
        seen = min(max(state.audio_end - at, 0), len(frame.pcm))
        if seen:
            state.resent_bytes += seen
            METRICS.audio_resent_seconds.inc(seen / (BYTES_PER_MS * 1000))
        state.audio_end = max(state.audio_end, at + len(frame.pcm))
        return frame.pcm[seen:]

    def _note_source(self, frame: AudioFrame, taken: int) -> None:
        """Remember where the held audio came from (the frame's last `taken` bytes)."""
        state = self.state
        state.sources.append((frame.position, taken))
        state.sources_bytes += taken
        vad = state.vad
        held = _bytes_held(
            len(vad.history), len(state.utterance), len(state.preroll), len(vad.leftover)
        )
        while state.sources and state.sources_bytes - state.sources[0][1] >= held:
            state.sources_bytes -= state.sources.popleft()[1]

    def _continue_from(self, first_seq: int, out: list[SegmenterOutput]) -> None:
        """A (re)started stream continues at `first_seq`: stop waiting for what came before."""
        state = self.state
        if first_seq <= state.next_seq:
            return
        state.pending = {seq: f for seq, f in state.pending.items() if seq >= first_seq}
        state.next_seq = first_seq
        self._drain_pending(out)

    def _segment_audio(self, pcm: bytes, out: list[SegmenterOutput]) -> None:
        state = self.state
        for decision in self.detector.feed(state.vad, pcm):
            state.processed_bytes += len(decision.frame)
            if decision.starts:
                preroll_bytes = sum(len(f) for f in state.preroll)
                if self.config.live_stream and not state.streaming:
                    state.streaming = True  # the stream hears the speech from its onset
                    self._stream(
                        b"".join(state.preroll),
                        state.processed_bytes - len(decision.frame) - preroll_bytes,
                    )
                state.utterance, state.utterance_bytes = list(state.preroll), preroll_bytes
                state.utterance_start_bytes = state.processed_bytes - len(decision.frame)
                state.utterance_start_bytes -= preroll_bytes
                state.partials_emitted = 0
                state.preroll.clear()
            if state.streaming:
                self._stream_frame(decision.frame, decision.in_speech, out)
            if decision.in_speech:
                state.utterance.append(decision.frame)
                state.utterance_bytes += len(decision.frame)
                if decision.ends:
                    silence = self.detector.silence_frames * FRAME_MS * BYTES_PER_MS
                    self._emit_final(out, trailing_silence_bytes=silence)
                elif state.utterance_bytes >= self.config.max_utterance_ms * BYTES_PER_MS:
                    self._emit_final(out, trailing_silence_bytes=0)
                    state.utterance_start_bytes = state.processed_bytes
                    self.detector.restart(state.vad)  # bounds the history a snapshot keeps
            else:
                state.preroll.append(decision.frame)
                while len(state.preroll) * FRAME_MS > self.config.preroll_ms:
                    state.preroll.popleft()

    # -- the provider stream (streaming speech-to-text) ---------------------------

    def _stream_frame(self, frame: bytes, in_speech: bool, out: list[SegmenterOutput]) -> None:
        """Pass a processed frame to the stream; close the stream after a long quiet."""
        state = self.state
        self._stream(frame, state.processed_bytes - len(frame))
        state.stream_quiet_bytes = 0 if in_speech else state.stream_quiet_bytes + len(frame)
        if state.stream_quiet_bytes >= self.config.stream_idle_ms * BYTES_PER_MS:
            self._flush_stream(out)
            assert state.settings is not None
            out.append(StreamPause(state.settings))
            state.streaming, state.stream_quiet_bytes = False, 0

    def _stream(self, pcm: bytes, position_bytes: int) -> None:
        if not self._stream_out:
            self._stream_from = position_bytes
        self._stream_out += pcm

    def _flush_stream(self, out: list[SegmenterOutput], *, resumed: bool = False) -> None:
        """The audio gathered for the stream, as one item (before any segment that follows it)."""
        state = self.state
        if not self._stream_out or state.settings is None:
            return
        out.append(
            StreamAudio(
                settings=state.settings,
                segment=state.segment,
                position_ms=self._stream_from // BYTES_PER_MS,
                pcm=bytes(self._stream_out),
                source_ingress_ms=state.last_ingress_ms,
                segmented_ms=_now_ms(),
                resumed=resumed,
            )
        )
        self._stream_out.clear()

    def _resend_open_utterance(self, out: list[SegmenterOutput]) -> None:
        """A restarted flow's new stream hears the utterance it was in the middle of."""
        state = self.state
        if state.streaming and state.vad.in_speech and state.utterance:
            self._stream(b"".join(state.utterance), state.utterance_start_bytes)
            self._flush_stream(out, resumed=True)

    # -- outputs -------------------------------------------------------------

    def _emit_final(self, out: list[SegmenterOutput], trailing_silence_bytes: int) -> None:
        state = self.state
        pcm = b"".join(state.utterance)
        state.utterance, state.utterance_bytes = [], 0
        speech_bytes = len(pcm) - trailing_silence_bytes
        self._flush_stream(out)  # the stream hears the utterance before its end
        # A cough or a click is no utterance; a stream ends the turn whatever it heard.
        if speech_bytes < self.config.min_utterance_ms * BYTES_PER_MS and not state.streaming:
            return
        out.append(self._segment(pcm, speech_bytes, final=True))
        state.segment += 1
        state.partials_emitted = 0

    def _emit_partial(self, out: list[SegmenterOutput]) -> None:
        """Emit the newest partial whose interval has passed; older ones are skipped.

        Partials are a nicety: when the flow is behind (the newest frame waited
        longer than `partial_max_lag_ms`), they are skipped so finals come first.
        """
        state = self.state
        config = self.config
        first = config.partial_first_ms * BYTES_PER_MS
        interval = config.partial_interval_ms * BYTES_PER_MS
        if not (config.partials and state.vad.in_speech and state.settings):
            return
        # The first words soon after the speech starts, then a growing partial every interval.
        due = (
            0 if state.utterance_bytes < first else 1 + (state.utterance_bytes - first) // interval
        )
        if due <= state.partials_emitted:
            return
        state.partials_emitted = due
        if (
            state.last_ingress_ms
            and _now_ms() - state.last_ingress_ms > self.config.partial_max_lag_ms
        ):
            return
        # The k-th partial's audio exactly, so a replay emits the same one for the same k.
        pcm = b"".join(state.utterance)[: first + (due - 1) * interval]
        out.append(self._segment(pcm, len(pcm), final=False, partial_index=due))

    def _segment(
        self, pcm: bytes, speech_bytes: int, final: bool, partial_index: int = 0
    ) -> SpeechSegment:
        state = self.state
        assert state.settings is not None
        start = state.utterance_start_bytes
        return SpeechSegment(
            settings=state.settings,
            segment=state.segment,
            pcm=pcm,
            start_ms=start // BYTES_PER_MS,
            end_ms=(start + speech_bytes) // BYTES_PER_MS,
            final=final,
            partial_index=partial_index,
            source_ingress_ms=state.last_ingress_ms,
            segmented_ms=_now_ms(),
        )

    def _emit_usage(self, out: list[SegmenterOutput], final: bool) -> None:
        state = self.state
        if not self.config.with_usage or state.settings is None:
            return
        processed_ms = (state.processed_bytes + len(state.vad.leftover)) // BYTES_PER_MS
        config = self.config
        every = (
            config.usage_tick_ms
            if has_quota(state.settings.tier)
            else config.unmetered_usage_tick_ms
        )
        # The final tick carries the exact remainder.
        if final or processed_ms // every > max(state.charged_ms, 0) // every:
            resent_ms = state.resent_bytes // BYTES_PER_MS
            out.append(UsageTick(state.settings, processed_ms, final=final, resent_ms=resent_ms))
            state.charged_ms = processed_ms

    def _report_backlog(self, out: list[SegmenterOutput]) -> None:
        state = self.state
        if state.settings is None or not state.last_ingress_ms:
            return
        lag_ms = _now_ms() - state.last_ingress_ms
        if lag_ms > self.config.backlog_warn_ms:
            bucket = state.processed_bytes // (5000 * BYTES_PER_MS)
            out.append(
                ResultEvent(
                    type="status",
                    id=event_id(state.session_id, -1, "status-backlog", bucket),
                    session_id=state.session_id,
                    status="backlog",
                    extra={"lag_ms": lag_ms},
                )
            )

    def _finish(self, out: list[SegmenterOutput]) -> None:
        """Flush the open utterance, the last usage, then mark the stream's end."""
        state = self.state
        assert state.settings is not None
        if state.vad.leftover:
            state.processed_bytes += len(state.vad.leftover)
            if state.streaming:
                self._stream(state.vad.leftover, state.processed_bytes - len(state.vad.leftover))
            if state.vad.in_speech:
                state.utterance.append(state.vad.leftover)
                state.utterance_bytes += len(state.vad.leftover)
            state.vad.leftover = b""
        if state.vad.in_speech and state.utterance:
            self._emit_final(out, trailing_silence_bytes=0)
            state.vad.in_speech = False
        self._flush_stream(out)
        self._emit_usage(out, final=True)
        out.append(StreamEnd(state.settings, state.segment))


def _now_ms() -> float:
    return round(time.time() * 1000, 3)


def _bytes_held(history: int, utterance: int, preroll: int, leftover_bytes: int) -> int:
    return leftover_bytes + FRAME_BYTES * max(history, utterance, preroll)


def _held(state: SessionState) -> HeldAudio:
    vad = state.vad
    return HeldAudio(len(vad.history), len(state.utterance), len(state.preroll), len(vad.leftover))


def _newest(frames: list[bytes], count: int) -> list[bytes]:
    return frames[len(frames) - count :]
