"""Cloud speech-to-text: AssemblyAI Universal-Streaming (v3) through its official SDK.

`open_stream` is the natural use: a live stream per session, audio sent as it
arrives, partial and final transcripts back (`StreamingSpeechToText`).
`transcribe` serves the segment interface on top of it: one streaming session
per segment, the audio sent in 100 ms messages at ASSEMBLYAI_SEND_SPEED times
real time (the API expects real time; faster risks errors and worse text), so
its timeout is the provider timeout plus the segment's sending time.

Each language maps to a speech model (ASSEMBLYAI_SPEECH_MODELS):
universal-streaming-english for English, the multilingual model for
en/es/fr/de/it/pt, whisper-rt (which detects the language itself and takes
no language parameter) for Hebrew. A language with no model is refused with
`language_unsupported` before connecting, unless ASSEMBLYAI_FALLBACK_MODEL
names one. Where the model reports the language it heard, transcripts carry it.

Connection failures are retried per our policy; the SDK reports a refused
handshake by status only, so a Retry-After on it cannot be honoured and
exponential backoff applies. The API key goes only to the SDK, and is
redacted from the handshake headers websockets logs at DEBUG.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping

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

from providers.base import ProviderError, Transcript, Word
from providers.deadlines import within
from providers.http_errors import error_for_status
from providers.pcm import SAMPLE_WIDTH, duration_seconds
from providers.retries import RetryPolicy, with_retries
from wire.errors import ErrorCode

SAMPLE_RATE = 16000
MESSAGE_SECONDS = 0.1  # the API takes 50-1000 ms of audio per message
MIN_MESSAGE_SECONDS = 0.05
_MESSAGE_BYTES = int(SAMPLE_RATE * MESSAGE_SECONDS) * SAMPLE_WIDTH
_MIN_MESSAGE_BYTES = int(SAMPLE_RATE * MIN_MESSAGE_SECONDS) * SAMPLE_WIDTH

# WebSocket close codes of the streaming API (application range and 1008/1011/1013).
_CLOSE_CODES = {
    1008: ErrorCode.PROVIDER_AUTH,
    4001: ErrorCode.PROVIDER_AUTH,
    4002: ErrorCode.PROVIDER_AUTH,
    4003: ErrorCode.PROVIDER_AUTH,
    3009: ErrorCode.PROVIDER_RATE_LIMITED,
    4029: ErrorCode.PROVIDER_RATE_LIMITED,
    4102: ErrorCode.PROVIDER_RATE_LIMITED,
    3005: ErrorCode.PROVIDER_UNAVAILABLE,
    1011: ErrorCode.PROVIDER_UNAVAILABLE,
    1013: ErrorCode.PROVIDER_UNAVAILABLE,
}
_RETRYABLE_CLOSES = {3005, 3009, 1011, 1013}


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
    mapped = _CLOSE_CODES.get(code, ErrorCode.PROVIDER_UNAVAILABLE)
    return ProviderError(
        mapped, f"assemblyai streaming: {error} ({code})", retryable=code in _RETRYABLE_CLOSES
    )


class AssemblyAIStream:
    """One live streaming session (a `SpeechStream`)."""

    def __init__(self, client: AsyncRealTimeTranscriber, language: str, formatted: bool) -> None:
        self._client = client
        self._language = language
        self._formatted = formatted
        self._pending = b""
        self._results: asyncio.Queue[Transcript | ProviderError | None] = asyncio.Queue()
        self.began = asyncio.get_running_loop().create_future()
        self._closed = False
        client.on(RealTimeEvents.Begin, self._on_begin)
        client.on(RealTimeEvents.Turn, self._on_turn)
        client.on(RealTimeEvents.Termination, self._on_termination)
        client.on(RealTimeEvents.Error, self._on_error)

    def _on_begin(self, _: object, event: BeginEvent) -> None:
        if not self.began.done():
            self.began.set_result(event.id)

    def _on_turn(self, _: object, turn: TurnEvent) -> None:
        # With formatting on, a finished turn comes twice: raw, then formatted; keep the latter.
        final = turn.end_of_turn and (turn.turn_is_formatted or not self._formatted)
        if turn.end_of_turn and not final:
            return
        words = tuple(Word(w.text, w.start, w.end) for w in turn.words)
        language = turn.language_code or self._language
        self._results.put_nowait(Transcript(turn.transcript, language, words, final))

    def _on_termination(self, _: object, event: TerminationEvent) -> None:
        self._results.put_nowait(None)

    def _on_error(self, _: object, error: RealTimeError) -> None:
        failure = provider_error(error)
        if not self.began.done():
            self.began.set_exception(failure)
        self._results.put_nowait(failure)

    async def start(self, params: RealTimeParameters) -> None:
        """Connect and wait for the session to begin; on failure, disconnect and raise."""
        try:
            await self._client.connect(params)
            await self.began
        except BaseException:
            await self.abort()
            raise

    async def send(self, pcm: bytes) -> None:
        """Queue audio; it leaves in 100 ms messages."""
        self._pending += pcm
        while len(self._pending) >= _MESSAGE_BYTES:
            message, self._pending = self._pending[:_MESSAGE_BYTES], self._pending[_MESSAGE_BYTES:]
            await self._client.stream(message)

    async def transcripts(self) -> AsyncIterator[Transcript]:
        """Partial and final transcripts until the session ends; a failure is raised here."""
        while (result := await self._results.get()) is not None:
            if isinstance(result, ProviderError):
                raise result
            yield result

    async def close(self) -> None:
        """Send what is left (padded to the API's minimum), end, wait for the last turns."""
        if self._closed:
            return
        if self._pending:
            tail = self._pending.ljust(_MIN_MESSAGE_BYTES, b"\0")
            self._pending = b""
            await self._client.stream(tail)
        await self.abort(terminate=True)

    async def abort(self, *, terminate: bool = False) -> None:
        """Disconnect at once (idempotent); `transcripts()` ends."""
        if self._closed:
            return
        self._closed = True
        await self._client.disconnect(terminate=terminate)
        self._results.put_nowait(None)


class AssemblyAISpeechToText:
    """AssemblyAI streaming, per segment (`transcribe`) or live (`open_stream`)."""

    name = "assemblyai"

    def __init__(
        self,
        api_key: str,
        *,
        host: str = "streaming.assemblyai.com",
        speech_models: Mapping[str, str] | None = None,
        fallback_model: str | None = None,
        send_speed: float = 1.0,
        timeout: float = 20.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("ASSEMBLYAI_API_KEY is not set")
        self._api_key = api_key
        self._host = host
        self._models = {
            k: SpeechModel(v)
            for k, v in (speech_models or {"en": "universal-streaming-english"}).items()
        }
        self._fallback = SpeechModel(fallback_model) if fallback_model else None
        self._send_speed = send_speed
        self._timeout = timeout
        self._retry = retry or RetryPolicy()

    def languages(self) -> frozenset[str]:
        """Languages with a configured speech model (any, with a fallback model, is tried)."""
        return frozenset(self._models)

    def speech_model(self, language: str) -> SpeechModel:
        """The speech model for `language`; `language_unsupported` if none is configured."""
        model = self._models.get(language, self._fallback)
        if model is None:
            raise ProviderError(
                ErrorCode.LANGUAGE_UNSUPPORTED, f"no AssemblyAI streaming model for {language!r}"
            )
        return model

    async def open_stream(self, language: str, *, formatted: bool = True) -> AssemblyAIStream:
        """Connect (retried, bounded by the timeout) and wait for the session to begin."""
        model = self.speech_model(language)
        params = RealTimeParameters(
            sample_rate=SAMPLE_RATE,
            encoding=Encoding.pcm_s16le,
            speech_model=model,
            format_turns=formatted,
            # The English model knows its language; the others are told to say what they heard.
            language_detection=None if model is SpeechModel.universal_streaming_english else True,
            speaker_labels_revision_interval_ms=None,
        )

        async def attempt() -> AssemblyAIStream:
            options = RealTimeTranscriberOptions(
                api_key=self._api_key,
                api_host=self._host,
                connect_timeout=self._timeout,
                max_connection_retries=0,
                terminate_timeout=self._timeout,
            )
            stream = AssemblyAIStream(AsyncRealTimeTranscriber(options), language, formatted)
            await stream.start(params)
            return stream

        retried = with_retries(
            attempt, self._retry, budget=self._timeout, what="assemblyai connect"
        )
        return await within(retried, self._timeout, "assemblyai connect")

    async def transcribe(self, pcm: bytes, language: str, *, final: bool = True) -> Transcript:
        """Stream one segment through a session of its own and collect its transcripts."""
        self.speech_model(language)  # refuse before any connection
        sending = duration_seconds(pcm, SAMPLE_RATE) / self._send_speed if self._send_speed else 0
        return await within(
            self._transcribe(pcm, language, final),
            self._timeout + sending,
            "assemblyai transcription",
        )

    async def _transcribe(self, pcm: bytes, language: str, final: bool) -> Transcript:
        stream = await self.open_stream(language, formatted=final)
        results: list[Transcript] = []

        async def collect() -> None:
            async for transcript in stream.transcripts():
                results.append(transcript)

        collecting = asyncio.create_task(collect())
        try:
            await self._send_paced(stream, pcm)
            await stream.close()
            await collecting
        finally:
            collecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await collecting
            await stream.abort()
        finals = [t for t in results if t.final]
        if not final:
            return results[-1] if results else Transcript("", language, final=False)
        return Transcript(
            " ".join(t.text for t in finals if t.text),
            finals[-1].language if finals else language,
            tuple(w for t in finals for w in t.words),
            final=True,
        )

    async def _send_paced(self, stream: AssemblyAIStream, pcm: bytes) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        for offset in range(0, len(pcm), _MESSAGE_BYTES):
            await stream.send(pcm[offset : offset + _MESSAGE_BYTES])
            if self._send_speed:
                sent = duration_seconds(pcm[: offset + _MESSAGE_BYTES], SAMPLE_RATE)
                await asyncio.sleep(max(0.0, started + sent / self._send_speed - loop.time()))
