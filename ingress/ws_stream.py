"""The stream socket, /api/v1/dubbing/ws/<session_id>: audio in, the session's results out.

1. The first message authenticates, `{"type": "auth", "token": ..., "last_event_id"?,
   "audio_position_ms"?}`, within WS_AUTH_TIMEOUT_SECONDS (else close 4001). A
   malformed one (any field) closes 4003 auth_required saying what is wrong; a
   bad token 4003 (auth_invalid/auth_expired); a missing session 4004; another user's 4003
   (forbidden); an ended one 4005. Each close follows an `error` event. Failed
   authentications count per client address (`ingress.auth_guard`): past the
   limit, 4030 auth_rate_limited; a user's connects past WS_CONNECTS_PER_MINUTE,
   4030 rate_limited (both events carry `retry_after_seconds`); signing keys
   that cannot be fetched, 1013 auth_unavailable.
2. The socket registers for its session's results here, the start record (the
   session's settings, the user's tier, this socket's reply partition) goes to
   the audio topic, and the client gets status `connected`. With
   `last_event_id`, the results missed since come next (`ingress.replay`).
3. Binary frames are checked, flood-limited per user, leased from a free
   user's day (`ingress.quota_gate`) and published with the session's next
   sequence number (continuing after a reconnect) and, when the client said
   where its audio begins (`audio_position_ms`), each frame's place in the
   session's audio: the flow drops what a reconnecting client sends again
   (`flows.segmenter`); status `streaming` answers
   the first one (and the first after a `pause`). A frame under 10 ms is held:
   it goes out if `end` or `pause` comes next (a tab's last frame is often
   short), and is refused (frame_too_small) if another frame does. A bad frame
   or message gets an `error` event and is dropped; the socket stays open
   unless bad messages keep coming (close 4400). A message over its size
   limit (a frame over 1 s, a control message over 16,384 characters) closes
   the socket 1009 after its error event (frame_too_large, message_invalid),
   as Hypercorn closes 1009 a message over 1 MiB; what was accepted before
   it is delivered first.
4. Results arrive in order, once each. The flow's `ended` is sent and the
   socket closes 1000. When a free user's day runs out, the frame that
   crosses the limit is cut there and is the last: the client gets a
   quota_exceeded error at once, then the results of the audio before it and
   `ended`, and the socket closes 4029; later frames are dropped unprocessed.
   A client that does not read is closed 4408 (slow_consumer); audio faster
   than the flood limit 4030. While Redis is away a socket cannot
   authenticate, and a free session streams on its outage grace only: both
   get a state_unavailable error and close 1013 (try again later).
5. `end` publishes the end record and keeps the socket open until the flow's
   `ended` (or WS_END_TIMEOUT_SECONDS), then ends the session in state.

A client that only disconnects keeps its session for the idle TTL and can
reconnect, here or to another ingress, and continue where it left off.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaException
from quart import Blueprint, websocket
from redis.exceptions import RedisError

from ingress.auth import AuthError, Identity
from ingress.auth_guard import FORWARDED_FOR, authenticate, caller_address, record_failure
from ingress.errors import REDIS_UNAVAILABLE
from ingress.quota_gate import QuotaGate, StateUnavailable
from ingress.replay import after_last_seen, plan_replay, read_missed
from ingress.results_fanout import Interruption, ResultMessage, Subscription, local_text
from ingress.runtime import IngressRuntime, current_runtime
from ingress.session_end import end_session
from ingress.state_flusher import StateDelta
from ingress.ws_messages import (
    BYTES_PER_MS,
    AckMessage,
    AuthMessage,
    EndMessage,
    PauseMessage,
    PingMessage,
    Rejected,
    ResumeMessage,
    check_frame,
    frame_ms,
    parse_message,
)
from state.clock import to_ms, utc_now
from state.errors import StateError
from state.quotas import has_quota
from state.result_routes import ResultCursor, ResultRoute
from state.sessions import Session
from state.subtitle_log import LoggedEvent, kept
from wire.audio import AudioFrame, EndRecord, StartRecord
from wire.errors import CloseCode, ErrorCode
from wire.events import ResultEvent, error_event, event_id, with_sent_ms

log = logging.getLogger(__name__)

stream_api = Blueprint("stream", __name__)

INVALID_WINDOW_S = 10.0
# More frames than any stream can publish between two state flushes (at 10 ms
# frames, 100 s of audio): a reconnect's numbers never collide with a lost stream's.
SEQ_RESUME_GAP = 10_000
CLOSE_TIMEOUT_S = 2.0
_AUTH_FIRST = 'the first message must be {"type": "auth", "token": "<JWT>"}'
_AUTH_CLOSES = {
    ErrorCode.AUTH_RATE_LIMITED: CloseCode.RATE_LIMITED,
    ErrorCode.AUTH_UNAVAILABLE: CloseCode.TRY_AGAIN_LATER,
}


@dataclass(frozen=True)
class Closing:
    """Why and how the socket closes."""

    code: CloseCode
    reason: str
    error: ErrorCode | None = None  # sent as an `error` event before closing
    message: str = ""
    finish: bool = False  # end the session in state and settle its reservation
    end_stream: bool = False  # the flow has not been told the stream ended: tell it
    drain: bool = True  # send what is queued first (not for a client that does not read)


_INTERRUPTED = {
    Interruption.OVERFLOW: Closing(
        CloseCode.SLOW_CONSUMER,
        "slow consumer",
        ErrorCode.SLOW_CONSUMER,
        "results were not read fast enough",
        drain=False,
    ),
    Interruption.REPLACED: Closing(CloseCode.GOING_AWAY, "replaced by a newer connection"),
}
_STATE_UNAVAILABLE = Closing(
    CloseCode.TRY_AGAIN_LATER,
    "state unavailable",
    ErrorCode.STATE_UNAVAILABLE,
    "session and quota state is unavailable; reconnect shortly",
)


@dataclass(frozen=True)
class _Hello:
    identity: Identity
    session: Session
    last_event_id: str | None
    audio_position_ms: int | None


@stream_api.websocket("/api/v1/dubbing/ws/<session_id>")
async def dubbing_stream(session_id: str) -> None:
    """One session's stream socket."""
    await websocket.accept()
    await StreamConnection(current_runtime(), session_id).serve()


class StreamConnection:
    """One authenticated socket's state: sequence numbers, acknowledgements, closing."""

    def __init__(self, runtime: IngressRuntime, session_id: str) -> None:
        self.rt = runtime
        self.cfg = runtime.cfg
        self.session_id = session_id
        self.closing: asyncio.Future[Closing] = asyncio.get_running_loop().create_future()
        self.identity: Identity | None = None
        self.sub: Subscription | None = None
        self.next_seq = 0
        self.streaming = False
        self.ending = False
        self._invalid: deque[float] = deque()
        self._frames_unflushed = 0
        self._subtitles_unflushed = 0
        self._cues_unflushed: list[LoggedEvent] = []  # for the session's subtitle log
        self._cursor: ResultCursor | None = None
        self._tasks: list[asyncio.Task[None]] = []  # receiving and replaying
        self._sender: asyncio.Task[None] | None = None
        self._end_timer: asyncio.TimerHandle | None = None
        self._replay_cancelled = threading.Event()
        self._gate: QuotaGate | None = None
        self._quota_spent = False
        self._short: tuple[bytes, int | None] | None = None  # under 10 ms: sent only if last
        # Where the next frame lies in the session's audio (bytes, as the client
        # counts them); None when the client did not say.
        self._audio_at: int | None = None

    async def serve(self) -> None:
        """Authenticate, stream until something closes the socket, then clean up."""
        try:
            hello = await self._authenticate()
            if hello is not None:
                await self._stream(hello)
        except REDIS_UNAVAILABLE as exc:  # an outage: the client should come back, not give up
            log.warning("stream %s: state unavailable: %s", self.session_id, exc)
            with contextlib.suppress(Exception):
                await self._close_now(_STATE_UNAVAILABLE)
        except Exception:  # Redis or Kafka failed under us: say so rather than hang up mutely
            log.exception("stream %s failed", self.session_id)
            with contextlib.suppress(Exception):
                error = error_event(self.session_id, ErrorCode.INTERNAL, "internal error")
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await websocket.send(local_text(error))
                    await websocket.close(int(CloseCode.INTERNAL), ErrorCode.INTERNAL.value)
        finally:
            await self._release()

    async def end_requested(self) -> None:
        """DELETE on this process: end the stream as if the client had sent `end`."""
        await self._end_stream()

    # -- authentication --------------------------------------------------------

    async def _authenticate(self) -> _Hello | None:
        rt = self.rt
        address = caller_address(
            rt, websocket.remote_addr, websocket.headers.getlist(FORWARDED_FOR)
        )
        try:
            first = await asyncio.wait_for(websocket.receive(), self.cfg.ws_auth_timeout_seconds)
        except TimeoutError:
            await record_failure(rt, address)
            seconds = self.cfg.ws_auth_timeout_seconds
            await self._refuse(
                CloseCode.AUTH_TIMEOUT, ErrorCode.AUTH_TIMEOUT, f"authenticate within {seconds} s"
            )
            return None
        wanted = _AUTH_FIRST
        try:
            message = parse_message(first) if isinstance(first, str) else None
        except Rejected as exc:
            message, wanted = None, f"{_AUTH_FIRST} ({exc.message})"
        token = message.token if isinstance(message, AuthMessage) else None
        try:
            identity = await authenticate(rt, token, address, wanted)
        except AuthError as exc:
            close = _AUTH_CLOSES.get(exc.code, CloseCode.AUTH_INVALID)
            await self._refuse(close, exc.code, exc.message, exc.retry_after_seconds)
            return None
        assert isinstance(message, AuthMessage)
        most = self.cfg.ws_connects_per_minute
        connects = await rt.run(rt.rate_limits.allow(identity.user_id, "ws_connect", limit=most))
        if not connects.allowed:
            await self._refuse(
                CloseCode.RATE_LIMITED,
                ErrorCode.RATE_LIMITED,
                f"more than {most} stream connections a minute",
                max(connects.retry_after_seconds, 1),
            )
            return None
        session = await rt.run(rt.sessions.get(self.session_id))
        if session is None:
            await self._refuse(
                CloseCode.SESSION_NOT_FOUND, ErrorCode.SESSION_NOT_FOUND, "no such session"
            )
        elif session.user_id != identity.user_id:
            await self._refuse(
                CloseCode.AUTH_INVALID, ErrorCode.FORBIDDEN, "the session belongs to another user"
            )
        elif session.status == "ended":
            await self._refuse(
                CloseCode.SESSION_ENDED, ErrorCode.SESSION_ENDED, "the session has ended"
            )
        else:
            return _Hello(identity, session, message.last_event_id, message.audio_position_ms)
        return None

    async def _close_now(self, closing: Closing) -> None:
        """An error event and the close, when the socket never got to stream."""
        assert closing.error is not None
        self.rt.metrics.errors.labels(code=closing.error.value).inc()
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await websocket.send(
                local_text(error_event(self.session_id, closing.error, closing.message))
            )
            await websocket.close(int(closing.code), closing.reason)

    async def _refuse(
        self,
        close: CloseCode,
        code: ErrorCode,
        message: str,
        retry_after_seconds: int | None = None,
    ) -> None:
        self.rt.metrics.errors.labels(code=code.value).inc()
        error = error_event(self.session_id, code, message)
        if retry_after_seconds is not None:
            error = dataclasses.replace(error, extra={"retry_after_seconds": retry_after_seconds})
        await websocket.send(local_text(error))
        await websocket.close(int(close), code.value)

    # -- streaming -------------------------------------------------------------

    async def _stream(self, hello: _Hello) -> None:
        rt, sid, identity = self.rt, self.session_id, hello.identity
        self.identity = identity
        if hello.audio_position_ms is not None:
            self._audio_at = hello.audio_position_ms * BYTES_PER_MS
        self.next_seq = hello.session.last_seq + 1
        earlier = rt.streams.get(sid)
        if isinstance(earlier, StreamConnection):  # its newest numbers may not be in Redis yet
            self.next_seq = max(self.next_seq, earlier.next_seq)
        sub = rt.fanout.register(sid, self.cfg.ws_send_queue, hold=hello.last_event_id is not None)
        self.sub = sub
        rt.streams[sid] = self
        rt.flood_guard.open(identity.user_id)
        rt.metrics.sessions_active.inc()
        sub.interrupted.add_done_callback(self._on_interrupted)

        previous = await rt.run(rt.routes.register(sid, sub.reply_partition, sub.start_offset))
        if previous.partition is not None:
            # A stream before this one may have published numbers past the recorded
            # last_seq (an ingress that died between flushes): start a fresh block.
            self.next_seq += SEQ_RESUME_GAP
        # The tier the session was created with, whatever the token that streams it
        # says: a session opened free is metered even when streamed with a premium token.
        settings = dataclasses.replace(hello.session.settings, reply_partition=sub.reply_partition)
        if has_quota(settings.tier):
            self._gate = QuotaGate(
                rt.run,
                rt.usage,
                settings,
                self.cfg.quota_lease_seconds,
                self.cfg.quota_outage_grace_seconds,
            )
        await rt.publisher.publish(StartRecord(settings, first_seq=self.next_seq))
        self._say("connected")
        self._sender = self._start(self._send_results())
        self._tasks.append(self._start(self._receive()))
        if hello.last_event_id is not None:
            self._tasks.append(self._start(self._replay(previous, hello.last_event_id)))
        closing = await self.closing
        rt.fanout.unregister(sub)  # nothing new joins the queue from here on
        await self._stop_tasks()
        if closing.drain:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await sub.queue.join()
        await self._stop_sender()
        await self._close(closing)

    def _start(self, work: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(work)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        if isinstance(error, REDIS_UNAVAILABLE):
            log.warning("stream %s: state unavailable: %s", self.session_id, error)
            self._close_soon(_STATE_UNAVAILABLE)
            return
        log.error("stream %s failed", self.session_id, exc_info=error)
        self._close_soon(
            Closing(CloseCode.INTERNAL, "internal error", ErrorCode.INTERNAL, "internal error")
        )

    def _close_soon(self, closing: Closing) -> None:
        if not self.closing.done():
            self.closing.set_result(closing)

    def _on_interrupted(self, interrupted: asyncio.Future[Interruption]) -> None:
        if not interrupted.cancelled():
            self._close_soon(_INTERRUPTED[interrupted.result()])

    async def _send_results(self) -> None:
        assert self.sub is not None
        while True:
            message = await self.sub.queue.get()
            if message.partition is None:  # the ingress's own: no pipeline to time
                await websocket.send(message.text)
            else:
                await websocket.send(with_sent_ms(message.text, time.time() * 1000))
            self.sub.queue.task_done()
            self._sent(message)

    def _sent(self, message: ResultMessage) -> None:
        event, metrics = message.event, self.rt.metrics
        metrics.events_out.labels(type=event.type).inc()
        if message.produced_ms is not None:
            metrics.delivery_latency.observe(max(to_ms(utc_now()) - message.produced_ms, 0) / 1000)
        if kept(event):
            self._cues_unflushed.append(LoggedEvent.of(event))
        if event.type == "subtitle" and event.final:
            self._subtitles_unflushed += 1
        elif event.type == "status" and event.status == "ended":
            if self._quota_spent:
                self._close_soon(Closing(CloseCode.QUOTA_EXCEEDED, "quota exceeded", finish=True))
            else:
                self._close_soon(Closing(CloseCode.NORMAL, "session ended", finish=True))

    async def _receive(self) -> None:
        while True:
            data = await websocket.receive()
            if isinstance(data, str):
                await self._on_text(data)
            else:
                await self._on_frame(bytes(data or b""))

    async def _on_frame(self, pcm: bytes) -> None:
        if self._quota_spent:
            return  # past the day's limit: neither processed nor charged
        if self.ending:
            self._reject(Rejected(ErrorCode.SESSION_ENDED, "the stream has ended; no more audio"))
            return
        if self._short is not None:
            self._short = None
            self._reject(
                Rejected(
                    ErrorCode.FRAME_TOO_SMALL, "a frame under 10 ms may only be the last before end"
                )
            )
        try:
            check_frame(pcm)
        except Rejected as exc:
            if exc.code == ErrorCode.FRAME_TOO_SMALL and pcm:
                # The last one, if `end` or `pause` follows (refused, its audio is lost).
                self._short = (pcm, self._place(pcm))
            else:
                self._reject(exc)
            return
        await self._publish_frame(pcm, self._place(pcm))

    def _place(self, pcm: bytes) -> int | None:
        """Where a well-formed frame lies in the session's audio; the next one follows it."""
        at = self._audio_at
        if at is not None:
            self._audio_at = at + len(pcm)
        return at

    async def _send_short_frame(self) -> None:
        """The short frame held back was the last before `end` or `pause`: it goes out."""
        if self._short is not None:
            (pcm, at), self._short = self._short, None
            await self._publish_frame(pcm, at)

    async def _publish_frame(self, pcm: bytes, audio_offset: int | None) -> None:
        assert self.identity is not None
        if not self.rt.flood_guard.allow(self.identity.user_id, frame_ms(pcm)):
            factor = self.cfg.ws_flood_factor
            self._close_soon(
                Closing(
                    CloseCode.RATE_LIMITED,
                    "audio flood",
                    ErrorCode.RATE_LIMITED,
                    f"audio arrives faster than {factor:g}x real time",
                )
            )
            return
        # Frames carry no capture time: the receive time stands in (to the microsecond
        # for the pipeline's timings, whole milliseconds for the capture time).
        received_ms = time.time() * 1000
        if self._gate is not None:
            try:
                pcm = await self._gate.admit(pcm)
            except StateUnavailable:
                self._close_soon(_STATE_UNAVAILABLE)
                return
        if pcm:
            await self.rt.publisher.publish(
                AudioFrame(
                    self.session_id,
                    self.next_seq,
                    int(received_ms),
                    received_ms,
                    pcm,
                    audio_offset=audio_offset,
                )
            )
            self.next_seq += 1
            self._frames_unflushed += 1
            self.rt.metrics.frames_in.inc()
            self.rt.metrics.bytes_in.inc(len(pcm))
            if not self.streaming:
                self.streaming = True
                self._say("streaming")
        if self._gate is not None and self._gate.spent:
            await self._quota_ran_out()

    async def _quota_ran_out(self) -> None:
        """The day is used up: say so now, finish what was leased, then close 4029."""
        self._quota_spent = True
        self._short = None
        assert self.sub is not None
        self.rt.metrics.errors.labels(code=ErrorCode.QUOTA_EXCEEDED.value).inc()
        self.sub.send_local(
            error_event(
                self.session_id,
                ErrorCode.QUOTA_EXCEEDED,
                "today's free minutes are used up; the results of the audio before follow",
            )
        )
        await self._end_stream()

    async def _on_text(self, text: str) -> None:
        try:
            message = parse_message(text)
        except Rejected as exc:
            self._reject(exc)
            return
        if isinstance(message, PingMessage):
            self._say("pong")
        elif isinstance(message, PauseMessage):
            await self._send_short_frame()
            self.streaming = False
            self._say("paused")
        elif isinstance(message, ResumeMessage):
            self.streaming = True
            self._say("streaming")
        elif isinstance(message, EndMessage):
            await self._send_short_frame()
            await self._end_stream()
        elif isinstance(message, AckMessage):
            assert self.sub is not None
            position = self.sub.position_of(message.event_id)
            if position is not None:
                self._cursor = ResultCursor(*position, message.event_id)
        else:
            self._reject(Rejected(ErrorCode.MESSAGE_INVALID, "already authenticated"))

    def _reject(self, rejected: Rejected) -> None:
        if rejected.too_large:  # as Hypercorn answers a message over 1 MiB: close 1009
            self._close_soon(
                Closing(
                    CloseCode.MESSAGE_TOO_BIG, rejected.code.value, rejected.code, rejected.message
                )
            )
            return
        self.rt.metrics.errors.labels(code=rejected.code.value).inc()
        assert self.sub is not None
        self.sub.send_local(error_event(self.session_id, rejected.code, rejected.message))
        now = time.monotonic()
        self._invalid.append(now)
        while now - self._invalid[0] > INVALID_WINDOW_S:
            self._invalid.popleft()
        if len(self._invalid) > self.cfg.ws_invalid_limit:
            self._close_soon(
                Closing(
                    CloseCode.MESSAGE_INVALID,
                    "too many invalid messages",
                    ErrorCode.MESSAGE_INVALID,
                    f"over {self.cfg.ws_invalid_limit} invalid messages in {INVALID_WINDOW_S:g} s",
                )
            )

    def _say(self, status: str, **extra: Any) -> None:
        """A status message from the ingress itself, in order with the results."""
        assert self.sub is not None
        self.sub.send_local(
            ResultEvent(
                type="status",
                id=event_id(self.session_id, -1, f"status-{status}", "ingress"),
                session_id=self.session_id,
                status=status,
                extra=extra,
            )
        )

    # -- the end ---------------------------------------------------------------

    async def _end_stream(self) -> None:
        if self.ending:
            return
        self.ending = True
        record = EndRecord(self.session_id, self.next_seq - 1, to_ms(utc_now()))
        await self.rt.publisher.publish(record)
        self._await_flow_end()

    def _await_flow_end(self) -> None:
        timeout = self.cfg.ws_end_timeout_seconds
        self._end_timer = asyncio.get_running_loop().call_later(timeout, self._end_timed_out)

    def _end_timed_out(self) -> None:
        self._say("ended", reason="timeout")  # sent in order, then the socket closes

    def _session_gone(self, refusal: StateError) -> None:
        if refusal.code == ErrorCode.SESSION_ENDED:
            if not self.ending:  # ended elsewhere (DELETE), which told the flow: await its end
                self.ending = True
                self._await_flow_end()
        else:
            self._close_soon(
                Closing(
                    CloseCode.SESSION_ENDED,
                    "session expired",
                    refusal.code,
                    str(refusal),
                    end_stream=True,
                )
            )

    # -- state (written for every socket together by ingress.state_flusher) -------

    def take_state(self) -> StateDelta | None:
        """Counters, resume point and cursor changed since the last write, handed over."""
        if self.identity is None:
            return None
        if not (
            self._frames_unflushed
            or self._subtitles_unflushed
            or self._cursor
            or self._cues_unflushed
        ):
            return None
        delta = StateDelta(
            self.session_id,
            self.identity.user_id,
            self._frames_unflushed,
            self._subtitles_unflushed,
            self.next_seq - 1 if self.next_seq > 0 else None,
            self._cursor,
            tuple(self._cues_unflushed),
        )
        self._frames_unflushed = self._subtitles_unflushed = 0
        self._cursor = None
        self._cues_unflushed = []
        return delta

    def restore_state(self, delta: StateDelta) -> None:
        """A write failed: its changes go into the next one."""
        self._frames_unflushed += delta.frames
        self._subtitles_unflushed += delta.subtitles
        self._cursor = self._cursor or delta.cursor
        self._cues_unflushed[:0] = delta.cues

    def state_refused(self, refusal: StateError) -> None:
        """The session was ended or expired elsewhere."""
        if not self.closing.done():
            self._session_gone(refusal)

    async def _write_own_state(self) -> None:
        """Write the last changes of this socket, at its close (Redis errors raise)."""
        delta = self.take_state()
        if delta is None:
            return
        try:
            await self.rt.write_state([delta])
        except RedisError:
            self.restore_state(delta)
            raise

    async def _replay(self, previous: ResultRoute, last_event_id: str) -> None:
        assert self.sub is not None
        sub, missed = self.sub, []
        hops = plan_replay(previous, sub.reply_partition, sub.start_offset)
        if hops:
            deadline = time.monotonic() + self.cfg.replay_timeout_seconds
            try:
                found = await asyncio.to_thread(
                    read_missed, self.cfg, self.session_id, hops, deadline, self._replay_cancelled
                )
            except KafkaException:
                log.exception("replay for %s failed; continuing live", self.session_id)
                found = []
            acked = previous.cursor.event_id if previous.cursor else None
            missed = after_last_seen(found, (last_event_id, acked))
            # The client saw these, but the process that sent them may have died before
            # logging them; the log starts no later than the cursor this replay read from.
            seen = found[: len(found) - len(missed)]
            self._cues_unflushed += [LoggedEvent.of(m.event) for m in seen if kept(m.event)]
        sub.release(missed)

    async def _stop_tasks(self) -> None:
        self._replay_cancelled.set()
        if self._end_timer is not None:
            self._end_timer.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _stop_sender(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)
            self._sender = None

    async def _close(self, closing: Closing) -> None:
        assert self.identity is not None
        rt = self.rt
        if closing.end_stream and not self.ending:
            self.ending = True
            await rt.publisher.publish(
                EndRecord(self.session_id, self.next_seq - 1, to_ms(utc_now()))
            )
        try:
            await self._write_own_state()
            if closing.finish:
                await end_session(rt, self.session_id, self.identity.user_id)
        except StateError as exc:
            log.info("session %s already gone at its end: %s", self.session_id, exc)
        except REDIS_UNAVAILABLE as exc:
            # The flow has finished the stream; the record and its hold lapse on their own.
            log.warning("session %s: not ended in state (%s)", self.session_id, exc)
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                if closing.error is not None:
                    rt.metrics.errors.labels(code=closing.error.value).inc()
                    error = error_event(self.session_id, closing.error, closing.message)
                    await websocket.send(local_text(error))
                await websocket.close(int(closing.code), closing.reason)
        except TimeoutError:
            log.info("stream %s did not take its close in time", self.session_id)

    async def _release(self) -> None:
        await self._stop_tasks()
        await self._stop_sender()
        if self._gate is not None:
            await self._gate.close()
        if self.sub is None or self.identity is None:
            return
        rt = self.rt
        rt.fanout.unregister(self.sub)
        if rt.streams.get(self.session_id) is self:
            del rt.streams[self.session_id]
        rt.flood_guard.close(self.identity.user_id)
        rt.metrics.sessions_active.dec()
        try:
            await self._write_own_state()  # an ended session refuses it: nothing to keep
        except RedisError:
            log.warning("stream %s: its last counters were not saved", self.session_id)
