"""A local stand-in for AssemblyAI's Universal-Streaming v3 WebSocket API, on its wire format.

`ws://127.0.0.1:<port>/v3/ws?sample_rate=16000&encoding=pcm_s16le&speech_model=...`
with the API key in the `Authorization` header (or a `token` query parameter).
What each model does comes from `providers.assemblyai_models`, the table the
adapter reads too; how a session runs follows the documentation:

- Message sequence (docs: streaming/message-sequence): `Begin`, then `Turn`
  messages while audio arrives, `SpeechStarted` first on the Universal-3 Pro
  models; on `Terminate`, the turn in flight, `Termination` (integer
  seconds) and close 1000.
- Turns (docs: universal-streaming/turn-detection, universal-3-pro/
  turn-detection-and-partials): a turn begins with sound and ends on
  `ForceEndpoint`, or on its own after `min_turn_silence` of silence when the
  model is confident (here: the sentence has been heard to its end), else
  after `max_turn_silence`. Universal-Streaming reveals words as partials,
  each final `word_latency_ms` after it was spoken ("~300 ms immutable
  transcripts"); Universal-3 Pro sends one partial at 750 ms of speech and at
  a pause, and one final, already formatted. With `format_turns` the English
  model sends its final twice, raw then formatted (same `turn_order`).
- whisper-rt (docs: streaming/whisper-streaming): puts non-speech tags
  (`[Music]`) in `utterance`, with the bare word in `transcript`.
- `language_detection=true`: `language_code` and `language_confidence` on
  turns with an utterance or an end.
- `speaker_labels=true` (docs: streaming/diarization): every Turn has a
  `speaker_label` (A, B, ... in the order the connection first hears each
  voice, so a new connection starts again at A), and each final word a
  `speaker`. A voice is the speaker its clip was registered with; a clip with
  none gets a null label. Past `max_speakers` a new voice is merged into an
  existing label (the provider picks the closest; here, the first). The null
  labels the provider may give very short turns early in a session are not
  modelled.
- Errors (docs: common-session-errors-and-closures): `Error` then a close with
  the same code: audio messages outside 50-1000 ms, 3007; a bad text message,
  3006; past the session's maximum duration, 3008; more new sessions in a
  minute than the account may open, 3009 "Too many concurrent sessions" (1008
  before February 2026: `too_many_sessions_code`); a bad key, HTTP 401 at the
  handshake. `inactivity_timeout` ends an idle session.
- Billing (docs: billing-and-pricing): per second of open connection;
  `billed_seconds` adds up what each session was open.

What the speaker says comes from `hearing` (`standins.hearing`): registered
clips, found by their bytes. Latencies default to AssemblyAI's published
figures (`Latency`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from providers.assemblyai_models import StreamingModel, model_named
from standins.hearing import BYTES_PER_MS, FRAME_BYTES, Clip, Hearing, is_sound

TICK_S = 0.01
PLACING_BYTES = 100 * BYTES_PER_MS  # the sound a turn's clip is recognised by
U3_FIRST_PARTIAL_MS = 750  # Universal-3 Pro: a partial after 750 ms of continuous speech
_TERMINAL = re.compile(r"[.?!。؟]\s*$")
_PUNCTUATION = re.compile(r"[^\w\s'\-\[\]]")


@dataclass(frozen=True)
class Latency:
    """How long the stand-in takes; defaults from AssemblyAI's published figures.

    "~300 ms immutable transcripts" (docs: getting-started/models): a word is
    final 300 ms after it is spoken. An end of turn, asked for or detected, is
    answered in 250 ms (independent measurements put end-of-speech to final at
    256-307 ms median). The formatted copy of an English final follows in 50 ms.
    """

    word_ms: float = 300.0
    final_ms: float = 250.0
    format_ms: float = 50.0


@dataclass(frozen=True)
class SessionFault:
    """How to spoil the next session: refuse the handshake, stall, fail, or drop the line."""

    status: int | None = None  # HTTP status at the handshake
    retry_after: float | None = None
    stall: bool = False  # accept, then never say anything
    close_code: int | None = None  # send Error, then close with this code, after Begin
    error: str = "planned failure"
    drop_after_ms: int | None = None  # cut the TCP connection after this much audio


@dataclass
class Session:
    """What one connection asked for and sent."""

    params: dict[str, str]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    audio_bytes: int = 0
    messages: int = 0
    force_endpoints: int = 0
    finals: list[str] = field(default_factory=list)  # what each ended turn said
    terminated: bool = False
    closed_at: float | None = None

    @property
    def open_seconds(self) -> float:
        """How long the connection was (or has been) open: what AssemblyAI bills."""
        return (self.closed_at or time.monotonic()) - self.at


def _flag(value: str | None) -> bool:
    # Query booleans arrive as true/True, depending on the client.
    return (value or "").lower() == "true"


@dataclass
class _Turn:
    """The turn a session is in: which clip it hears, from where, and what it has said."""

    order: int
    clip: Clip | None
    clip_from: int  # the clip offset heard at the turn's first byte
    first_byte: int  # stream offset of the turn's first sound
    last_sound: int  # stream offset just after the last frame with sound
    placed: bool = False  # the clip is looked up once enough audio has come
    partials: int = 0
    revealed: int = 0  # final words sent in partials
    quiet_partial: bool = False  # Universal-3 Pro: the partial for the current pause is out

    def heard_to(self, stream_at: int) -> int:
        """The clip offset the stream has reached."""
        return self.clip_from + stream_at - self.first_byte

    def stream_at(self, clip_at: int) -> int:
        """A clip offset, on the stream."""
        return self.first_byte + clip_at - self.clip_from

    def words(self, heard_to: int) -> list[tuple[str, int, int]]:
        """The clip's words heard so far (text, stream start, stream end)."""
        if self.clip is None:
            return []
        return [
            (w.text, self.stream_at(w.start), self.stream_at(w.end))
            for w in self.clip.words
            if w.start >= self.clip_from - FRAME_BYTES and w.end <= heard_to
        ]


class _Listener:
    """One session: hears its audio, decides its turns, and queues its messages on time."""

    def __init__(
        self,
        ws: ServerConnection,
        session: Session,
        model: StreamingModel,
        hearing: Hearing,
        latency: Latency,
    ) -> None:
        self.ws = ws
        self.session = session
        self.model = model
        self.hearing = hearing
        self.latency = latency
        params = session.params
        self.formatted = _flag(params.get("format_turns"))
        self.detects_language = _flag(params.get("language_detection"))
        self.min_silence = int(
            params.get("min_turn_silence")
            or params.get("min_end_of_turn_silence_when_confident")
            or model.min_turn_silence_ms
        )
        self.max_silence = int(params.get("max_turn_silence") or model.max_turn_silence_ms)
        self.diarizes = _flag(params.get("speaker_labels"))
        self.max_speakers = int(params.get("max_speakers") or 0)
        self.labels: dict[str, str] = {}  # a clip's speaker -> this connection's label
        self.audio = bytearray()
        self.scanned = 0  # bytes already cut into 20 ms frames
        self.arrivals: list[tuple[int, float]] = []  # (stream offset reached, wall time)
        self.turn: _Turn | None = None
        self.next_order = 0
        self.outbox: list[tuple[float, str]] = []  # (when due, message)
        self.queued = asyncio.Event()

    # -- audio in ----------------------------------------------------------------------

    def hear(self, message: bytes) -> None:
        self.audio += message
        now = time.monotonic()
        self.arrivals.append((len(self.audio), now))
        while self.scanned + FRAME_BYTES <= len(self.audio):
            at = self.scanned
            frame = bytes(self.audio[at : at + FRAME_BYTES])
            self.scanned += FRAME_BYTES
            self._place(at)
            self._frame(at, frame, now)
        self._place(len(self.audio))

    def _place(self, reached: int, *, at_least: int = FRAME_BYTES + PLACING_BYTES) -> None:
        """Find the open turn's clip by its first sounds (one frame alone may match many).

        The turn's first frame may begin before its clip does (on the stream's
        20 ms grid), so the lookup starts one frame in.
        """
        turn = self.turn
        if turn is None or turn.placed or reached - turn.first_byte < at_least:
            return
        turn.placed = True
        start = turn.first_byte + FRAME_BYTES
        window = bytes(self.audio[start : start + PLACING_BYTES])
        if placed := self.hearing.place(window):
            turn.clip, found = placed
            turn.clip_from = found - FRAME_BYTES

    def _frame(self, at: int, frame: bytes, now: float) -> None:
        turn = self.turn
        if is_sound(frame):
            if turn is None:
                self._begin(at, frame)
            else:
                turn.last_sound = at + FRAME_BYTES
                turn.quiet_partial = False
            return
        if turn is None:
            return
        silence_ms = (at + FRAME_BYTES - turn.last_sound) / BYTES_PER_MS
        confident = self._complete(turn)
        if (confident and silence_ms >= self.min_silence) or silence_ms >= self.max_silence:
            self.end_turn(at_wall=now)
        elif (
            self.model.punctuation_turns
            and silence_ms >= self.min_silence
            and not turn.quiet_partial
        ):
            turn.quiet_partial = True
            self._partial(turn, now)

    def _begin(self, at: int, frame: bytes) -> None:
        self.turn = _Turn(self.next_order, None, 0, at, at + FRAME_BYTES)
        self.next_order += 1
        if self.model.punctuation_turns:
            self._queue(
                time.monotonic(), {"type": "SpeechStarted", "timestamp": at // BYTES_PER_MS}
            )

    def _complete(self, turn: _Turn) -> bool:
        """Confident of an end: the sentence has been heard to its end."""
        if turn.clip is None:
            return False
        heard_all = turn.heard_to(turn.last_sound) >= turn.clip.sound_end - FRAME_BYTES
        return heard_all and (
            not self.model.punctuation_turns or bool(_TERMINAL.search(turn.clip.text))
        )

    # -- partials, on a clock -------------------------------------------------------------

    def tick(self) -> None:
        """Send the partials that are due (words become final `word_ms` after they are heard)."""
        turn = self.turn
        now = time.monotonic()
        if turn is None:
            return
        if self.model.punctuation_turns:
            spoken_ms = (len(self.audio) - turn.first_byte) / BYTES_PER_MS
            if not turn.partials and spoken_ms >= U3_FIRST_PARTIAL_MS:
                self._partial(turn, now)
            return
        final_by = self._heard_by(now - self.latency.word_ms / 1000)
        final_words = turn.words(turn.heard_to(final_by))
        if len(final_words) > turn.revealed:
            turn.revealed = len(final_words)
            self._partial(turn, now)

    def _heard_by(self, wall: float) -> int:
        """The stream offset that had arrived by wall time `wall`."""
        reached = 0
        for end, at in reversed(self.arrivals):
            if at <= wall:
                reached = end
                break
        return reached

    def _partial(self, turn: _Turn, now: float) -> None:
        turn.partials += 1
        if self.model.punctuation_turns:
            words = turn.words(turn.heard_to(len(self.audio)))
            self._queue(now + self.latency.final_ms / 1000, self._message(turn, words, end=False))
            return
        final_words = turn.words(turn.heard_to(self._heard_by(now - self.latency.word_ms / 1000)))
        self._queue(now, self._message(turn, final_words, end=False))

    # -- the end of a turn -------------------------------------------------------------------

    def end_turn(self, *, at_wall: float | None = None, latency: bool = True) -> None:
        """End the open turn (ForceEndpoint, detected silence, Terminate); nothing when none is."""
        self._place(len(self.audio), at_least=2 * FRAME_BYTES)
        turn = self.turn
        if turn is None:
            return
        self.turn = None
        now = time.monotonic() if at_wall is None else at_wall
        due = now + (self.latency.final_ms / 1000 if latency else 0)
        words = turn.words(turn.heard_to(len(self.audio)))
        last = self._message(turn, words, end=True)
        self.session.finals.append(last["utterance"] or last["transcript"])
        if not self.model.formats_separately:  # the other models format as they transcribe
            self._queue(due, last)
            return
        self._queue(due, self._message(turn, words, end=True, formatted=False))
        if self.formatted:
            self._queue(due + self.latency.format_ms / 1000, self._message(turn, words, end=True))

    def _message(
        self,
        turn: _Turn,
        words: list[tuple[str, int, int]],
        *,
        end: bool,
        formatted: bool = True,
    ) -> dict[str, Any]:
        model = self.model
        speech = turn.clip is None or turn.clip.speech
        if not speech and not model.non_speech_tags:
            words = []  # only whisper-rt names the sounds that are not speech
        shown = [text if (speech and formatted and end) else _bare(text) for text, _, _ in words]
        transcript = " ".join(shown)
        utterance = ""
        if end and model.non_speech_tags:
            utterance = " ".join(text for text, _, _ in words)  # tags stay bracketed here
        elif end and (model.punctuation_turns or not (model.formats_separately and formatted)):
            utterance = transcript
        message: dict[str, Any] = {
            "type": "Turn",
            "turn_order": turn.order,
            "turn_is_formatted": end and formatted,
            "end_of_turn": end,
            "transcript": transcript,
            "end_of_turn_confidence": 1.0 if end else 0.0,
            "utterance": utterance,
            "words": [
                {
                    "start": start // BYTES_PER_MS,
                    "end": stop // BYTES_PER_MS,
                    "confidence": 0.0 if model.non_speech_tags else 0.95,
                    "text": word,
                    "word_is_final": end or not model.punctuation_turns,
                }
                for word, (_, start, stop) in zip(shown, words, strict=True)
            ],
        }
        if self.detects_language and (end or utterance) and turn.clip is not None:
            message["language_code"] = turn.clip.language
            message["language_confidence"] = 0.93
        if self.diarizes:
            label = self._label(turn.clip)
            message["speaker_label"] = label
            for word in message["words"]:
                if word["word_is_final"] and label is not None:
                    word["speaker"] = label
        return message

    def _label(self, clip: Clip | None) -> str | None:
        """The connection's label for the clip's speaker: A, B, ... as first heard."""
        if clip is None or clip.speaker is None:
            return None
        if clip.speaker not in self.labels:
            if self.max_speakers and len(self.labels) >= self.max_speakers:
                return next(iter(self.labels.values()))
            self.labels[clip.speaker] = chr(ord("A") + len(self.labels))
        return self.labels[clip.speaker]

    # -- out -----------------------------------------------------------------------------------

    def _queue(self, due: float, message: dict[str, Any]) -> None:
        self.outbox.append((due, json.dumps(message, ensure_ascii=False)))
        self.queued.set()  # the clock sleeps until the first message is due

    def next_due(self) -> float | None:
        """When the first message waiting is due."""
        return self.outbox[0][0] if self.outbox else None

    async def flush_due(self, *, everything: bool = False) -> None:
        """Send, in order, the messages whose time has come."""
        now = time.monotonic()
        while self.outbox and (everything or self.outbox[0][0] <= now):
            _, message = self.outbox.pop(0)
            await self.ws.send(message)


def _bare(word: str) -> str:
    """A word as an unformatted turn shows it: no punctuation, lower case."""
    return _PUNCTUATION.sub("", word).lower()


class AssemblyAIStandin:
    """The stand-in server; `async with` runs it on a free 127.0.0.1 port."""

    def __init__(
        self,
        api_key: str,
        *,
        hearing: Hearing | None = None,
        latency: Latency | None = None,
        new_sessions_per_minute: int | None = None,
        too_many_sessions_code: int = 3009,
        max_session_seconds: float = 3 * 3600,
    ) -> None:
        self.api_key = api_key
        self.hearing = hearing or Hearing()
        self.latency = latency or Latency()
        self.new_sessions_per_minute = new_sessions_per_minute
        self.too_many_sessions_code = too_many_sessions_code
        self.max_session_seconds = max_session_seconds
        self.faults: deque[SessionFault] = deque()
        self.sessions: list[Session] = []
        self._open: dict[ServerConnection, Session] = {}
        self._server: Server | None = None
        self.host = ""

    def reset(self) -> None:
        """Forget faults, sessions, clips and limits (between tests)."""
        self.faults.clear()
        self.sessions.clear()
        self.hearing.clear()
        self.new_sessions_per_minute = None

    @property
    def billed_seconds(self) -> float:
        """Connection time over every session so far."""
        return sum(
            session.open_seconds
            for session in self.sessions
            if session.messages or session.terminated
        )

    async def __aenter__(self) -> AssemblyAIStandin:
        await self.start()
        return self

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1 (`port` 0: a free one); `host` is its ws:// address."""
        # The stand-in's own logs would show the key it receives; only the client's matter.
        quiet = logging.getLogger("standin.assemblyai")
        quiet.setLevel(logging.WARNING)
        self._server = await serve(
            self._session,
            "127.0.0.1",
            port,
            process_request=self._handshake,
            compression=None,
            logger=quiet,
        )
        bound = self._server.sockets[0].getsockname()[1]
        self.host = f"ws://127.0.0.1:{bound}"

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def _handshake(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        headers = {name.lower(): value for name, value in request.headers.raw_items()}
        session = Session(dict(parse_qsl(url.query)), headers)
        fault = self.faults[0] if self.faults else None
        if fault and fault.status:
            self.faults.popleft()
            self.sessions.append(session)
            response = connection.respond(fault.status, f"planned {fault.status}\n")
            if fault.retry_after is not None:
                response.headers["Retry-After"] = f"{fault.retry_after:g}"
            return response
        if url.path != "/v3/ws":
            return connection.respond(404, "Not Found\n")
        if self.api_key not in (headers.get("authorization"), session.params.get("token")):
            self.sessions.append(session)
            return connection.respond(401, "Unauthorized\n")
        if "sample_rate" not in session.params:
            return connection.respond(400, "sample_rate is required\n")
        self.sessions.append(session)
        self._open[connection] = session
        return None

    def _too_many(self, session: Session) -> bool:
        limit = self.new_sessions_per_minute
        if limit is None:
            return False
        recent = [s for s in self.sessions if s is not session and session.at - s.at < 60]
        return len(recent) >= limit

    async def _session(self, ws: ServerConnection) -> None:
        session = self._open.pop(ws)
        try:
            await self._serve(ws, session)
        finally:
            session.closed_at = time.monotonic()

    async def _serve(self, ws: ServerConnection, session: Session) -> None:
        fault = self.faults.popleft() if self.faults else None
        if fault and fault.stall:
            await ws.wait_closed()
            return
        if self._too_many(session):
            await self._fail(
                ws,
                self.too_many_sessions_code,
                "Unauthorized Connection: Too many concurrent sessions",
            )
            return
        await ws.send(
            json.dumps(
                {
                    "type": "Begin",
                    "id": str(uuid.uuid4()),
                    "expires_at": int(time.time() + self.max_session_seconds),
                }
            )
        )
        if fault and fault.close_code:
            await self._fail(ws, fault.close_code, fault.error)
            return
        model = model_named(session.params.get("speech_model", ""))
        listener = _Listener(ws, session, model, self.hearing, self.latency)
        ticking = asyncio.create_task(self._tick(listener))
        try:
            await self._listen(ws, session, listener, fault)
        except ConnectionClosed:
            return
        finally:
            ticking.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await ticking

    async def _listen(
        self,
        ws: ServerConnection,
        session: Session,
        listener: _Listener,
        fault: SessionFault | None,
    ) -> None:
        idle_s = float(session.params.get("inactivity_timeout") or 0) or None
        while True:
            try:
                async with asyncio.timeout(idle_s):
                    message = await ws.recv()
            except TimeoutError:
                await self._terminate(ws, session, listener)
                return
            if time.monotonic() - session.at > self.max_session_seconds:
                await self._fail(ws, 3008, "Session Expired: Maximum session duration exceeded")
                return
            if isinstance(message, bytes):
                session.messages += 1
                duration_ms = len(message) / BYTES_PER_MS
                if not 50 <= duration_ms <= 1000:
                    expected = "Expected between 50 and 1000 ms"
                    violation = f"Input duration violation: {duration_ms:.0f} ms. {expected}"
                    await self._fail(ws, 3007, violation)
                    return
                session.audio_bytes += len(message)
                listener.hear(message)
                if (
                    fault
                    and fault.drop_after_ms
                    and session.audio_bytes >= fault.drop_after_ms * BYTES_PER_MS
                ):
                    ws.transport.abort()  # no close frame: the network went away
                    return
                continue
            try:
                kind = json.loads(message).get("type")
            except (ValueError, AttributeError):
                await self._fail(ws, 3006, f"Invalid JSON: {message[:60]}")
                return
            if kind == "ForceEndpoint":
                session.force_endpoints += 1
                listener.end_turn()
            elif kind == "Terminate":
                session.terminated = True
                await self._terminate(ws, session, listener)
                return
            elif kind not in ("KeepAlive", "UpdateConfiguration"):
                await self._fail(ws, 3006, f"Invalid Message Type: {kind}")
                return

    @staticmethod
    async def _tick(listener: _Listener) -> None:
        """Partials on a 10 ms clock; each queued message sent when it is due, not a tick later."""
        while True:
            listener.tick()
            await listener.flush_due()
            listener.queued.clear()
            due = listener.next_due()
            wait = TICK_S if due is None else min(TICK_S, max(0.0, due - time.monotonic()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await listener.queued.wait()

    async def _terminate(self, ws: ServerConnection, session: Session, listener: _Listener) -> None:
        listener.end_turn(latency=False)
        await listener.flush_due(everything=True)
        seconds = int(time.monotonic() - session.at)
        await ws.send(
            json.dumps(
                {
                    "type": "Termination",
                    "audio_duration_seconds": session.audio_bytes // BYTES_PER_MS // 1000,
                    "session_duration_seconds": seconds,
                }
            )
        )
        await ws.close(1000)

    @staticmethod
    async def _fail(ws: ServerConnection, code: int, error: str) -> None:
        await ws.send(json.dumps({"type": "Error", "error_code": code, "error": error}))
        # The close reason is capped at 123 bytes by the protocol (and by AssemblyAI).
        reason = error if len(error.encode()) <= 123 else "See Error message for details"
        await ws.close(code, reason)
