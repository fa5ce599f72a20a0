"""Speech-to-text on a live stream: one provider connection per session, turns out as they come.

The logic of the dataflow's `transcribe` step when the provider streams
(AssemblyAI). The segmenter hands over the session's audio as it arrives
(`StreamAudio`) and each utterance's end (a final `SpeechSegment`): the audio
goes to the session's stream at once, an utterance's end ends the provider's
turn (ForceEndpoint), and the provider's turns come out as they arrive,
growing ones as partial transcripts and ended ones as finals, without any
item waiting for another: the audio of the next utterance never queues
behind the end of the last one.

Turns are numbered by our segments, not the provider's: a turn belongs to the
segment whose audio it begins in (its first word, on the stream's clock), and
a segment heard as several turns numbers them in order. Event ids therefore
come from the audio, and a replay gives the same ones.

With `turn_audio`, the first final turn of each speaker label on this stream
(and the next ones while they are short, and any turn with no label) carries
the turn's audio, cut from the last seconds sent, so that the speakers step
can tell whose voice the label is.

A quiet spell (`StreamPause`) closes the stream, since the provider bills
every second it is open; the next speech opens another. Recovery: a snapshot
keeps the utterance ends whose turns have not all come back (with their
audio); a restore sends them again on a new stream, and the segmenter sends
the utterance it was in the middle of (`StreamAudio.resumed`). The session's
end closes the stream and waits for its last turns before the end passes on.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from bytewax.operators import StatefulBatchLogic

from flows.concurrency import WorkerLoop
from flows.items import SpeechSegment, StreamAudio, StreamEnd, StreamPause, Transcribed
from flows.metrics import METRICS
from providers.base import (
    ProviderError,
    SpeechStream,
    StreamingSpeechToText,
    StreamTurn,
    Transcript,
    Word,
)
from providers.speech_text import spoken
from wire.audio import SessionSettings

log = logging.getLogger(__name__)

StreamItem = StreamAudio | SpeechSegment | StreamPause | StreamEnd
StreamOutput = Transcribed | StreamEnd

# Looks for turns while a stream is open: often while an answer is awaited (an
# utterance's final is what the viewer waits for), less often otherwise.
ANSWER_POLL = timedelta(milliseconds=2)
LISTEN_POLL = timedelta(milliseconds=25)
# An utterance's end is settled once its final has come, or this long after
# ForceEndpoint with no turn open (the provider heard nothing to end).
SETTLE_S = 2.0
# A detected language below this confidence is a guess (whisper-rt says "fr" for silence at 0.48).
LANGUAGE_CONFIDENCE = 0.5
BYTES_PER_MS = 32
# The audio sent last, kept for a turn's voiceprint (longer than any utterance we cut).
TURN_AUDIO_MS = 12_000
# A speaker label's final turns carry their audio until one of at least this length
# has (a shorter one may say too little to tell whose voice the label is).
VOICED_MS = 1500


@dataclass(frozen=True)
class Anchor:
    """Where a stretch of audio sent on a stream lies in the session."""

    stream_ms: int
    position_ms: int
    segment: int
    source_ingress_ms: float
    segmented_ms: float
    sent_at: float  # monotonic


@dataclass
class _Stream:
    """One provider stream, its clock, and the turns it has begun."""

    stream: SpeechStream
    anchors: list[Anchor] = field(default_factory=list)
    anchor_ms: list[int] = field(default_factory=list)
    sent_ms: int = 0
    turns: dict[int, tuple[int, int]] = field(default_factory=dict)  # -> (segment, index)
    partials: dict[int, tuple[int, str]] = field(default_factory=dict)  # -> (count, last text)
    closing: asyncio.Task[None] | None = None
    # The last TURN_AUDIO_MS of audio sent (from stream ms `audio_from`).
    audio: bytearray = field(default_factory=bytearray)
    audio_from: int = 0
    voiced: set[str] = field(default_factory=set)  # labels a long enough turn was carried for

    def keep(self, pcm: bytes) -> None:
        """Remember audio just sent, dropping what is older than TURN_AUDIO_MS."""
        self.audio += pcm
        excess = len(self.audio) - TURN_AUDIO_MS * BYTES_PER_MS
        if excess > 0:
            excess -= excess % BYTES_PER_MS
            del self.audio[:excess]
            self.audio_from += excess // BYTES_PER_MS

    def wants_voice(self, label: str | None, start_ms: int | None, end_ms: int | None) -> bool:
        """Whether a final turn should carry its audio (a label's until a long one has)."""
        if label is None:
            return True  # nothing else says who it is
        if label in self.voiced:
            return False
        if start_ms is not None and end_ms is not None and end_ms - start_ms >= VOICED_MS:
            self.voiced.add(label)
        return True

    def audio_between(self, start_ms: int | None, end_ms: int | None) -> bytes:
        """The audio sent between two stream times, as far as it is still kept."""
        if start_ms is None or end_ms is None:
            return b""
        start = max(0, start_ms - self.audio_from) * BYTES_PER_MS
        return bytes(self.audio[start : max(0, end_ms - self.audio_from) * BYTES_PER_MS])

    def open_before(self, segment: int) -> bool:
        """Whether a turn begun in this segment or an earlier one has not ended yet."""
        return any(self.turns[turn][0] <= segment for turn in self.partials)

    def anchor_at(self, stream_ms: int | None) -> Anchor | None:
        if not self.anchors:
            return None
        if stream_ms is None:
            return self.anchors[-1]
        return self.anchors[max(0, bisect.bisect_right(self.anchor_ms, stream_ms) - 1)]

    def position(self, stream_ms: int) -> int:
        """A time on the stream's clock, as a position in the session (ms)."""
        anchor = self.anchor_at(stream_ms)
        return stream_ms if anchor is None else anchor.position_ms + stream_ms - anchor.stream_ms


@dataclass
class LiveTranscriptionState:
    """What a restore needs: the utterance ends whose turns have not all come back."""

    unsettled: list[SpeechSegment] = field(default_factory=list)


@dataclass
class _Awaited:
    """An utterance end sent to the provider, and whether its turns are in."""

    segment: SpeechSegment
    forced_at: float
    answered: bool = False


class LiveTranscription(StatefulBatchLogic[StreamItem, StreamOutput, LiveTranscriptionState]):
    """One session's provider streams: the open one, and any still closing."""

    def __init__(
        self,
        stt: StreamingSpeechToText,
        loop: WorkerLoop,
        resume: LiveTranscriptionState | None = None,
        turn_audio: bool = False,
    ) -> None:
        self._stt = stt
        self._loop = loop
        self._turn_audio = turn_audio
        self._settings: SessionSettings | None = None
        self._open: _Stream | None = None
        self._streams: list[_Stream] = []  # the open one last
        self._awaited: list[_Awaited] = []
        self._finals_in: set[int] = set()  # segments a final has come for
        self._turns_in: dict[int, int] = {}  # turns begun per segment
        self._ends: list[StreamEnd] = []
        if resume is not None and resume.unsettled:
            for segment in resume.unsettled:
                self._settings = segment.settings
                self._hear_again(segment)
            loop.step()

    # -- Bytewax hooks ---------------------------------------------------------------

    def on_batch(self, values: list[StreamItem]) -> tuple[list[StreamOutput], bool]:
        """Hand each item to the stream; emit whatever turns have arrived."""
        for item in values:
            self._settings = item.settings
            if isinstance(item, StreamAudio):
                self._send(item.pcm, item)
            elif isinstance(item, SpeechSegment):
                self._end_utterance(item)
            else:
                if isinstance(item, StreamEnd):
                    self._ends.append(item)
                self._close_open()
        self._loop.step()
        return self._collect()

    def on_notify(self) -> tuple[list[StreamOutput], bool]:
        """Step the loop (unless another session's look just did); emit what arrived."""
        self._loop.step(unless_recent=True)
        return self._collect()

    def on_eof(self) -> tuple[list[StreamOutput], bool]:
        """The input is over (file mode, tests): close the streams, wait for their last turns."""
        self._close_open()
        self._loop.wait(s.closing for s in self._streams if s.closing is not None)
        return self._collect()

    def notify_at(self) -> datetime | None:
        """Look again while a stream is open: soon when an answer is awaited."""
        if not self._streams:
            return None
        awaiting = any(s.closing for s in self._streams) or any(
            not a.answered for a in self._awaited
        )
        return datetime.now(UTC) + (ANSWER_POLL if awaiting else LISTEN_POLL)

    def snapshot(self) -> LiveTranscriptionState:
        """The utterance ends not yet settled (immutable items: a list copy is enough)."""
        return LiveTranscriptionState([a.segment for a in self._awaited])

    # -- what goes to the provider -----------------------------------------------------------

    def _stream(self, settings: SessionSettings) -> _Stream:
        if self._open is None:
            opened = self._stt.open_stream(settings.source_language, loop=self._loop.loop)
            self._open = _Stream(opened)
            self._streams.append(self._open)
        return self._open

    def _send(self, pcm: bytes, item: StreamAudio | SpeechSegment) -> None:
        heard = self._stream(item.settings)
        position = item.position_ms if isinstance(item, StreamAudio) else item.start_ms
        anchor = Anchor(
            heard.sent_ms,
            position,
            item.segment,
            item.source_ingress_ms,
            item.segmented_ms,
            time.monotonic(),
        )
        heard.anchors.append(anchor)
        heard.anchor_ms.append(anchor.stream_ms)
        heard.sent_ms += len(pcm) // BYTES_PER_MS
        heard.stream.send(pcm)
        if self._turn_audio:
            heard.keep(pcm)

    def _end_utterance(self, segment: SpeechSegment) -> None:
        if self._open is None:
            # No stream heard it (the flow restarted, or the stream was closed): send it whole.
            self._hear_again(segment)
            return
        self._open.stream.end_turn()
        self._await(segment)

    def _hear_again(self, segment: SpeechSegment) -> None:
        self._send(segment.pcm, segment)
        assert self._open is not None
        self._open.stream.end_turn()
        self._await(segment)

    def _await(self, segment: SpeechSegment) -> None:
        # The provider may have ended the turn on its own, before our end reached it.
        answered = segment.segment in self._finals_in
        self._awaited.append(_Awaited(segment, time.monotonic(), answered))

    def _close_open(self) -> None:
        if self._open is not None:
            self._open.closing = self._loop.submit(self._open.stream.close())
            self._open = None

    # -- what comes back ----------------------------------------------------------------------

    def _collect(self) -> tuple[list[StreamOutput], bool]:
        out: list[StreamOutput] = []
        for heard in list(self._streams):
            for result in heard.stream.take():
                out += self._heard(heard, result)
            if heard.closing is not None and heard.closing.done():
                self._streams.remove(heard)
                billed = heard.stream.billed_seconds
                METRICS.stt_stream_seconds.observe(billed)
                METRICS.stt_billed_seconds.inc(billed)
                sid = self._settings.session_id if self._settings else "?"
                log.info("session %s: provider stream closed after %.1f s billed", sid, billed)
        self._settle()
        if self._ends and not self._streams:
            self._awaited.clear()
            out += self._ends
            return out, StatefulBatchLogic.DISCARD
        return out, StatefulBatchLogic.RETAIN

    def _heard(self, heard: _Stream, result: StreamTurn | ProviderError) -> list[StreamOutput]:
        settings = self._settings
        assert settings is not None
        if isinstance(result, ProviderError):
            return [Transcribed(self._failed_segment(heard, settings), None, result)]
        first = heard.anchor_at(result.start_ms)
        number, index = self._turn_place(heard, result.turn, first.segment if first else 0)
        if result.final:
            self._final_in(number)
            heard.partials.pop(result.turn, None)
            partial_index = 0
        else:
            count, last_text = heard.partials.get(result.turn, (0, ""))
            text = spoken(Transcript(result.text, "")).text
            if not text or text == last_text:
                return []  # nothing new to show
            result = replace(result, text=text)
            partial_index = count + 1
            heard.partials[result.turn] = (partial_index, text)
        start_ms = heard.position(result.start_ms) if result.start_ms is not None else None
        if start_ms is None:
            start_ms = first.position_ms if first else 0
        end_ms = heard.position(result.end_ms) if result.end_ms is not None else start_ms
        newest = heard.anchor_at(result.end_ms)
        pcm = b""
        if (
            self._turn_audio
            and result.final
            and heard.wants_voice(result.speaker, result.start_ms, result.end_ms)
        ):
            pcm = heard.audio_between(result.start_ms, result.end_ms)
        segment = SpeechSegment(
            settings=settings,
            segment=number,
            pcm=pcm,
            start_ms=start_ms,
            end_ms=end_ms,
            final=result.final,
            partial_index=partial_index,
            source_ingress_ms=newest.source_ingress_ms if newest else 0.0,
            segmented_ms=newest.segmented_ms if newest else 0.0,
            turn=index,
            speaker_label=result.speaker,
        )
        words = tuple(
            Word(w.text, heard.position(w.start_ms) - start_ms, heard.position(w.end_ms) - start_ms)
            for w in result.words
        )
        language = heard_language(result, settings.source_language)
        transcript = spoken(Transcript(result.text, language, words, result.final))
        provider_ms = (time.monotonic() - newest.sent_at) * 1000 if newest else 0.0
        return [Transcribed(segment, transcript, None, provider_ms)]

    def _turn_place(self, heard: _Stream, turn: int, segment: int) -> tuple[int, int]:
        """The segment a stream turn belongs to, and its number among that segment's turns."""
        if turn not in heard.turns:
            index = self._turns_in.get(segment, 0)
            self._turns_in[segment] = index + 1
            heard.turns[turn] = (segment, index)
        return heard.turns[turn]

    def _final_in(self, segment: int) -> None:
        self._finals_in.add(segment)
        for awaited in self._awaited:
            if awaited.segment.segment == segment:
                awaited.answered = True

    def _settle(self) -> None:
        """Forget utterance ends whose turns are all in (a snapshot keeps the others)."""
        now = time.monotonic()
        while self._awaited:
            first = self._awaited[0]
            number = first.segment.segment
            if any(heard.open_before(number) for heard in self._streams):
                break
            if not (first.answered or now - first.forced_at > SETTLE_S):
                break
            self._awaited.pop(0)
            # Nothing will come for it, or the segments before it, any more.
            self._finals_in = {s for s in self._finals_in if s > number}
            self._turns_in = {s: n for s, n in self._turns_in.items() if s > number}

    def _failed_segment(self, heard: _Stream, settings: SessionSettings) -> SpeechSegment:
        """Where a failure is reported: the utterance awaited, else the one being heard."""
        if self._awaited:
            return self._awaited[0].segment
        last = heard.anchor_at(None)
        return SpeechSegment(settings, last.segment if last else 0, b"", 0, 0, final=True)


def heard_language(turn: StreamTurn, session_language: str) -> str:
    """The language a turn was spoken in: the provider's detection when it is sure enough."""
    sure = turn.language_confidence is None or turn.language_confidence >= LANGUAGE_CONFIDENCE
    return turn.language if sure and turn.language else session_language
