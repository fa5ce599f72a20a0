"""Cloud speech-to-text: AssemblyAI Universal-Streaming (v3) through its official SDK.

A live session holds one streaming connection (`open_stream`): its audio goes
out as it arrives, in real time, and the provider's turns come back as they
grow (partials) and end (finals). Our VAD's end of an utterance sends
ForceEndpoint (`end_turn`), so the turn closes at once instead of after the
provider's own end-of-turn silence. The stream connects in the background:
nothing the flow calls waits for the network.

Faults: a dropped connection reconnects with backoff and sends again the audio
after the last final turn's last word (kept until a final covers it), so no
speech is lost and none is transcribed twice; turn numbers continue where the
last final left off, so the re-heard turn keeps its number. "Too many
sessions" (close 1008 or 3009 with that reason; 429 at the handshake) is
`provider_rate_limited`, retried, never an auth failure. A connection that
ends with nothing left to transcribe (the provider's inactivity timeout, the
3-hour limit) is simply opened again when audio comes.

Billing is per second of open connection, so a stream is closed when the
session goes quiet (the flow decides) and the provider's own
`inactivity_timeout` closes one the flow forgot; the seconds billed are
counted per stream (`billed_seconds`).

`transcribe` serves the segment interface (file mode) on a stream of its own:
the segment sent at ASSEMBLYAI_SEND_SPEED times real time (the API expects
real time and throttles faster audio), then ForceEndpoint.

Each language maps to a speech model (ASSEMBLYAI_SPEECH_MODELS); what a model
does (languages, language codes, formatting, non-speech tags) comes from
`providers.assemblyai_models`. The API key goes only to the SDK, and is
redacted from the handshake headers websockets logs at DEBUG.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assemblyai.streaming.v3 import (
    AsyncRealTimeTranscriber,
    BeginEvent,
    Encoding,
    RealTimeError,
    RealTimeEvents,
    RealTimeParameters,
    RealTimeTranscriberOptions,
    SpeechModel,
    TerminationEvent,
    TurnEvent,
)

from providers.assemblyai_models import StreamingModel, model_named
from providers.base import ProviderError, StreamTurn, Transcript, Word
from providers.deadlines import within
from providers.http_errors import error_for_status
from providers.pcm import SAMPLE_WIDTH, duration_seconds
from providers.retries import RetryPolicy
from wire.errors import ErrorCode

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
BYTES_PER_MS = SAMPLE_RATE * SAMPLE_WIDTH // 1000
# The API takes 50-1000 ms of audio per message (else it closes with 3007).
MIN_MESSAGE_BYTES = 50 * BYTES_PER_MS
MAX_MESSAGE_BYTES = 1000 * BYTES_PER_MS
# Audio kept for a resend when no final covers it (a provider that never ends a turn).
MAX_RETAINED_BYTES = 30_000 * BYTES_PER_MS
# A detected language below this confidence is a guess (whisper-rt says "fr" for silence at 0.48).
LANGUAGE_CONFIDENCE = 0.5

# WebSocket close codes of the streaming API (common-session-errors-and-closures).
_CLOSE_CODES = {
    1008: ErrorCode.PROVIDER_AUTH,  # a missing or refused key, or an account problem...
    3009: ErrorCode.PROVIDER_RATE_LIMITED,  # too many new sessions this minute
    3005: ErrorCode.PROVIDER_UNAVAILABLE,
    3008: ErrorCode.PROVIDER_UNAVAILABLE,  # the 3-hour limit: open a new session
    1011: ErrorCode.PROVIDER_UNAVAILABLE,
    1013: ErrorCode.PROVIDER_UNAVAILABLE,
    # Legacy (v2) codes the SDK still knows.
    4001: ErrorCode.PROVIDER_AUTH,
    4002: ErrorCode.PROVIDER_AUTH,
    4003: ErrorCode.PROVIDER_AUTH,
    4029: ErrorCode.PROVIDER_RATE_LIMITED,
    4102: ErrorCode.PROVIDER_RATE_LIMITED,
}
# Streaming API reference (api-reference/streaming-api): max_speakers takes 1 to 10.
MOST_SPEAKERS = 10

_RETRYABLE_CLOSES = {3005, 3008, 3009, 1011, 1013, 4029, 4102}
# ...except that until February 2026 "too many sessions" was 1008 too, and the FAQ still says so.
_TOO_MANY_SESSIONS = "too many concurrent sessions"


class _RedactAuthorization(logging.Filter):
    """websockets logs handshake headers at DEBUG, and the API key travels in one."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 2 and str(args[0]).lower() == "authorization":
            record.args = (args[0], "[redacted]")
        return True


logging.getLogger("websockets.client").addFilter(_RedactAuthorization())


def provider_error(error: RealTimeError) -> ProviderError:
    """An SDK error (a refused handshake's HTTP status, or a close code) as a ProviderError."""
    code = error.code
    if code is None or 100 <= code < 600:
        return error_for_status(code, "assemblyai streaming")
    message = f"assemblyai streaming: {error} ({code})"
    if _TOO_MANY_SESSIONS in str(error).lower():
        return ProviderError(ErrorCode.PROVIDER_RATE_LIMITED, message, retryable=True)
    mapped = _CLOSE_CODES.get(code, ErrorCode.PROVIDER_UNAVAILABLE)
    # An abnormal close (1006: the network dropped) is worth another try; 3006/3007 are ours.
    retryable = code in _RETRYABLE_CLOSES or code in (1001, 1006)
    return ProviderError(mapped, message, retryable=retryable)


class _TurnWithUtterance(TurnEvent):
    """A Turn with its `utterance` field, where whisper-rt puts its non-speech tags.

    SDK 1.8.2's TurnEvent has no such field, and pydantic drops it.
    """

    utterance: str = ""


class _Transcriber(AsyncRealTimeTranscriber):
    """The SDK's async client, keeping each Turn's `utterance`."""

    @classmethod
    def _parse_message(cls, data: dict[str, Any]) -> Any:
        if data.get("type") == "Turn":
            return _TurnWithUtterance.model_validate(data)
        return super()._parse_message(data)


@dataclass
class _Connection:
    """One WebSocket session of a stream, and how its clock maps onto the stream's."""

    client: _Transcriber
    turn_base: int  # the stream's number for this connection's turn_order 0
    began: asyncio.Future[None]
    ended: asyncio.Future[ProviderError | None]
    opened_at: float = field(default_factory=time.monotonic)
    # (connection ms, stream byte offset) at the start of each message sent: padding
    # (silence added to reach the API's minimum) moves the two apart.
    anchors_ms: list[int] = field(default_factory=list)
    anchors_at: list[int] = field(default_factory=list)
    sent_ms: int = 0
    billed_s: float | None = None
    # Speaker labels (A, B...) start again on every connection: this names the connection's.
    speakers: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def stream_ms(self, connection_ms: int) -> int:
        """A time the provider gave, on the stream's clock."""
        index = max(0, bisect.bisect_right(self.anchors_ms, connection_ms) - 1)
        if not self.anchors_ms:
            return 0
        return self.anchors_at[index] // BYTES_PER_MS + connection_ms - self.anchors_ms[index]


class AssemblyAILiveStream:
    """One live session's stream (a `SpeechStream`): connects, resends and closes by itself."""

    def __init__(
        self,
        stt: AssemblyAISpeechToText,
        language: str,
        model: StreamingModel,
        params: RealTimeParameters,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._stt = stt
        self._language = language
        self._model = model
        self._params = params
        self._loop = loop
        # The audio not yet covered by a final turn: stream bytes [_kept_from, _total).
        self._kept = bytearray()
        self._kept_from = 0
        self._total = 0
        self._sent = 0  # on the current connection
        self._end_marks: deque[int] = deque()  # stream offsets to send ForceEndpoint at
        self._forced: deque[int] = deque()  # ...sent, but not yet covered by a final
        self._next_turn = 0  # the stream's number for the next turn to begin
        self._outbox: list[StreamTurn | ProviderError] = []
        self._connection: _Connection | None = None
        self._wake = asyncio.Event()
        self._closing = False
        self._failed_at = 0.0  # when the last round of connection attempts gave up
        self._failures = 0  # connections in a row that failed or were lost before a turn
        self._last_error: ProviderError | None = None
        self._billed_s = 0.0
        self._task: asyncio.Task[None] | None = None

    # -- what the flow calls (never waits) --------------------------------------

    def send(self, pcm: bytes) -> None:
        """Queue audio; it leaves as soon as a connection takes it."""
        if not pcm:
            return
        self._kept += pcm
        self._total += len(pcm)
        if len(self._kept) > MAX_RETAINED_BYTES:
            drop = len(self._kept) - MAX_RETAINED_BYTES
            del self._kept[:drop]
            self._kept_from += drop
            self._sent = max(self._sent, self._kept_from)
        self._poke()

    def end_turn(self) -> None:
        """ForceEndpoint once the audio queued so far has gone out."""
        if not self._end_marks or self._end_marks[-1] != self._total:
            self._end_marks.append(self._total)
        self._poke()

    def take(self) -> list[StreamTurn | ProviderError]:
        """What arrived since the last look."""
        out, self._outbox = self._outbox, []
        return out

    @property
    def billed_seconds(self) -> float:
        """Connection time so far: what the provider bills."""
        live = self._connection
        ongoing = time.monotonic() - live.opened_at if live and not live.ended.done() else 0.0
        return self._billed_s + ongoing

    async def close(self) -> None:
        """Send what is left, end the session, collect its last turns."""
        self._closing = True
        self._poke()
        if self._task is not None:
            await asyncio.shield(self._task)

    def abort(self) -> None:
        """Drop the connection at once (a worker shutting down)."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()

    # -- the stream's task --------------------------------------------------------

    def _poke(self) -> None:
        self._wake.set()
        if self._task is None:
            self._task = self._loop.create_task(self._run())

    def _has_work(self) -> bool:
        return self._sent < self._total or bool(self._end_marks)

    async def _run(self) -> None:
        try:
            while True:
                self._wake.clear()
                connection = self._connection
                if connection is not None and connection.ended.done():
                    self._connection = connection = None
                if connection is None:
                    if self._closing and not self._has_work():
                        return
                    if not self._has_work():
                        await self._wake.wait()
                        continue
                    connection = await self._reconnect()
                    if connection is None:
                        if self._closing:
                            return
                        await self._wake.wait()
                        continue
                await self._pump(connection)
                if self._closing and not self._has_work():
                    await self._terminate(connection)
                    return
                woken = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait((woken, connection.ended), return_when=asyncio.FIRST_COMPLETED)
                woken.cancel()
                if connection.ended.done():
                    await self._lost(connection)
        finally:
            if self._connection is not None and not self._connection.ended.done():
                await self._connection.client.disconnect()
                self._settle(self._connection, None)

    async def _reconnect(self) -> _Connection | None:
        """Open a connection, backing off after failures; None when it gave up (reported)."""
        policy = self._stt.retry
        if self._failed_at and time.monotonic() - self._failed_at < policy.max_delay:
            return None  # gave up a moment ago: the next audio or end of turn tries again
        while True:
            if self._failures and self._last_error is not None:
                wait = policy.delay(self._failures, self._last_error)
                log.info("assemblyai stream: %s; connecting again in %.2fs", self._last_error, wait)
                await asyncio.sleep(wait)
            try:
                connection = await self._stt.connect(self._params, self._next_turn, self._on_event)
            except ProviderError as error:
                if self._failed(error):
                    return None
                continue
            self._failed_at = 0.0
            self._connection = connection
            self._resend()
            return connection

    def _failed(self, error: ProviderError) -> bool:
        """Count a failed or lost connection; True once it is time to give up (reported)."""
        self._failures += 1
        self._last_error = error
        if error.retryable and self._failures < self._stt.retry.attempts:
            return False
        self._give_up(error)
        return True

    def _resend(self) -> None:
        """A new connection hears again all that no final covers, ForceEndpoints included."""
        self._sent = self._kept_from
        self._end_marks.extendleft(reversed(self._forced))
        self._forced.clear()

    def _give_up(self, error: ProviderError) -> None:
        """Report the failure; audio that cannot be transcribed is dropped."""
        self._failed_at = time.monotonic()
        self._failures = 0
        self._outbox.append(error)
        if not error.retryable:
            self._kept.clear()
            self._kept_from = self._sent = self._total
            self._end_marks.clear()
            self._forced.clear()

    async def _pump(self, connection: _Connection) -> None:
        """Send the queued audio in messages of 50-1000 ms, with ForceEndpoint at each mark."""
        client = connection.client
        while not connection.ended.done():
            mark = self._end_marks[0] if self._end_marks else None
            limit = self._total if mark is None else mark
            ready = limit - self._sent
            # Before ForceEndpoint or the end, a short tail goes too (padded): nothing waits.
            flush = mark is not None or self._closing
            if ready >= MIN_MESSAGE_BYTES or (flush and ready > 0):
                size = min(ready, MAX_MESSAGE_BYTES)
                start = self._sent - self._kept_from
                message = bytes(self._kept[start : start + size])
                connection.anchors_ms.append(connection.sent_ms)
                connection.anchors_at.append(self._sent)
                # The API refuses less than 50 ms: a short tail before ForceEndpoint is padded.
                message = message.ljust(MIN_MESSAGE_BYTES, b"\0")
                connection.sent_ms += len(message) // BYTES_PER_MS
                self._sent += size
                await client.stream(message)
                continue
            if mark is not None and ready <= 0:
                self._forced.append(self._end_marks.popleft())
                await client.force_endpoint()
                continue
            return

    async def _terminate(self, connection: _Connection) -> None:
        """Terminate: the provider sends its last turns, then Termination."""
        await connection.client.disconnect(terminate=True)
        self._settle(connection, None)
        self._connection = None

    async def _lost(self, connection: _Connection) -> None:
        """The connection ended; a failure with audio still to transcribe reconnects."""
        failure = connection.ended.result()
        self._connection = None
        await connection.client.disconnect()
        if failure is None or self._failed(failure):
            return
        if self._kept or self._forced:
            log.info("assemblyai stream dropped (%s); reconnecting", failure)
            self._resend()

    def _settle(self, connection: _Connection, failure: ProviderError | None) -> None:
        if connection.ended.done():
            return
        connection.ended.set_result(failure)
        billed = connection.billed_s
        self._billed_s += billed if billed is not None else time.monotonic() - connection.opened_at

    # -- what the connection hears ---------------------------------------------------

    def _on_event(self, connection: _Connection, event: object) -> None:
        if isinstance(event, BeginEvent):
            if not connection.began.done():
                connection.began.set_result(None)
        elif isinstance(event, _TurnWithUtterance):
            self._on_turn(connection, event)
        elif isinstance(event, TerminationEvent):
            connection.billed_s = event.session_duration_seconds
            self._settle(connection, None)
        elif isinstance(event, RealTimeError):
            failure = provider_error(event)
            if not connection.began.done():
                connection.began.set_exception(failure)
            self._settle(connection, failure)

    def _on_turn(self, connection: _Connection, event: _TurnWithUtterance) -> None:
        self._failures = 0  # this connection works
        turn = connection.turn_base + event.turn_order
        if turn < self._next_turn:
            return  # a turn already final (the formatted copy of a raw final we did not wait for)
        waits_for_copy = self._model.formats_separately and bool(self._params.format_turns)
        final = event.end_of_turn and (event.turn_is_formatted or not waits_for_copy)
        words = tuple(
            Word(w.text, connection.stream_ms(w.start), connection.stream_ms(w.end))
            for w in event.words
            if w.text.strip()
        )
        text = self._turn_text(event, final)
        self._outbox.append(
            StreamTurn(
                turn=turn,
                text=text,
                language=event.language_code or self._language,
                final=final,
                words=words,
                start_ms=words[0].start_ms if words else None,
                end_ms=words[-1].end_ms if words else None,
                language_confidence=event.language_confidence,
                speaker=f"{connection.speakers}:{event.speaker_label}"
                if event.speaker_label
                else None,
            )
        )
        if not final:
            return
        self._next_turn = turn + 1
        if words:  # what the final covers need not be sent again
            covered = min(words[-1].end_ms * BYTES_PER_MS, self._sent)
            if covered > self._kept_from:
                del self._kept[: covered - self._kept_from]
                self._kept_from = covered
        # The final answers the ForceEndpoints sent before it.
        self._forced.clear()

    def _turn_text(self, event: _TurnWithUtterance, final: bool) -> str:
        if self._model.non_speech_tags:
            # whisper-rt: the tags are only in `utterance`; its `transcript` has them as words.
            return event.utterance or (event.transcript if final else "")
        # A Universal-3 partial ends with a dash: the sentence goes on.
        return event.transcript if final else event.transcript.rstrip(" —")


class AssemblyAISpeechToText:
    """AssemblyAI streaming: live (`open_stream`) or per segment (`transcribe`)."""

    name = "assemblyai"

    def __init__(
        self,
        api_key: str,
        *,
        host: str = "streaming.assemblyai.com",
        speech_models: Mapping[str, str] | None = None,
        fallback_model: str | None = None,
        send_speed: float = 1.0,
        inactivity_timeout_s: int = 30,
        max_speakers: int | None = None,
        timeout: float = 20.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("ASSEMBLYAI_API_KEY is not set")
        self._api_key = api_key
        self._host = host
        self._models = dict(speech_models or {"en": "universal-streaming-english"})
        self._fallback = fallback_model
        self._send_speed = send_speed
        self._inactivity_timeout_s = inactivity_timeout_s
        self._max_speakers = max_speakers
        self._timeout = timeout
        self.retry = retry or RetryPolicy()

    def languages(self) -> frozenset[str]:
        """Languages with a configured speech model (any, with a fallback model, is tried)."""
        return frozenset(self._models)

    def speech_model(self, language: str) -> StreamingModel:
        """The speech model for `language`; `language_unsupported` if none is configured."""
        name = self._models.get(language, self._fallback)
        model = model_named(name) if name else None
        if model is None or (model.languages and language not in model.languages):
            raise ProviderError(
                ErrorCode.LANGUAGE_UNSUPPORTED, f"no AssemblyAI streaming model for {language!r}"
            )
        return model

    def parameters(self, language: str, *, formatted: bool = True) -> RealTimeParameters:
        """The session parameters for a language, as its model takes them."""
        model = self.speech_model(language)
        return RealTimeParameters(
            sample_rate=SAMPLE_RATE,
            encoding=Encoding.pcm_s16le,
            speech_model=SpeechModel(model.name),
            format_turns=formatted,
            # The English model knows its language; the others say what they heard.
            language_detection=None if model.languages == {"en"} else True,
            language_codes=[language] if model.takes_language_codes else None,
            inactivity_timeout=self._inactivity_timeout_s or None,
            speaker_labels_revision_interval_ms=None,
            # Streaming diarization: each Turn's speaker_label (docs: streaming/diarization).
            speaker_labels=True if self._max_speakers else None,
            max_speakers=min(self._max_speakers, MOST_SPEAKERS) if self._max_speakers else None,
        )

    def open_stream(
        self,
        language: str,
        *,
        formatted: bool = True,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> AssemblyAILiveStream:
        """A live stream for `language`; it connects when its first audio comes."""
        params = self.parameters(language, formatted=formatted)
        return AssemblyAILiveStream(
            self,
            language,
            self.speech_model(language),
            params,
            loop or asyncio.get_running_loop(),
        )

    async def connect(
        self,
        params: RealTimeParameters,
        turn_base: int,
        on_event: Callable[[_Connection, object], None],
    ) -> _Connection:
        """One connection attempt, bounded by the timeout; it begins or raises ProviderError."""
        options = RealTimeTranscriberOptions(
            api_key=self._api_key,
            api_host=self._host,
            connect_timeout=self._timeout,
            max_connection_retries=0,
            terminate_timeout=self._timeout,
        )
        loop = asyncio.get_running_loop()
        connection = _Connection(
            _Transcriber(options), turn_base, loop.create_future(), loop.create_future()
        )
        client = connection.client
        for kind in (
            RealTimeEvents.Begin,
            RealTimeEvents.Turn,
            RealTimeEvents.Termination,
            RealTimeEvents.Error,
        ):
            client.on(kind, lambda _client, event: on_event(connection, event))
        try:
            await within(self._begin(connection, params), self._timeout, "assemblyai connect")
        except BaseException:
            await client.disconnect()
            if not connection.ended.done():
                connection.ended.set_result(None)
            raise
        return connection

    @staticmethod
    async def _begin(connection: _Connection, params: RealTimeParameters) -> None:
        await connection.client.connect(params)
        await connection.began

    async def transcribe(self, pcm: bytes, language: str, *, final: bool = True) -> Transcript:
        """Stream one segment through a session of its own, then end its turn and collect it."""
        self.speech_model(language)  # refuse before any connection
        sending = duration_seconds(pcm, SAMPLE_RATE) / self._send_speed if self._send_speed else 0
        return await within(
            self._transcribe(pcm, language, final),
            self._timeout + sending,
            "assemblyai transcription",
        )

    async def _transcribe(self, pcm: bytes, language: str, final: bool) -> Transcript:
        stream = self.open_stream(language, formatted=final)
        heard: list[StreamTurn] = []
        try:
            loop = asyncio.get_running_loop()
            started = loop.time()
            step = 100 * BYTES_PER_MS
            for offset in range(0, len(pcm), step):
                stream.send(pcm[offset : offset + step])
                if self._send_speed:
                    sent = duration_seconds(pcm[: offset + step], SAMPLE_RATE)
                    await asyncio.sleep(max(0.0, started + sent / self._send_speed - loop.time()))
            stream.end_turn()
            await stream.close()
        finally:
            stream.abort()
        for result in stream.take():
            if isinstance(result, ProviderError):
                raise result
            heard.append(result)
        if not final:
            partial = heard[-1] if heard else None
            text = partial.text if partial else ""
            return Transcript(text, partial.language if partial else language, final=False)
        finals = [t for t in heard if t.final and t.text]
        return Transcript(
            " ".join(t.text for t in finals),
            finals[-1].language if finals else language,
            tuple(w for t in finals for w in t.words),
            final=True,
        )
