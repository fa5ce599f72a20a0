"""Simulated viewers: a session over REST, then audio in real time over a WebSocket.

Each records every event it receives with the time it arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.protocol import State

FRAME_MS = 100
FRAME_BYTES = 3200
BYTES_PER_MS = 32
# A reconnect sends the last RESEND_MS of audio again, from that point in the
# session's audio (`audio_position_ms`): what the dropped socket's ingress had not
# handed to Kafka is lost otherwise, and the flow drops what it already has. Five
# seconds: the audio producer holds a frame for milliseconds (no linger, or 1 ms
# when busy), but a frame can wait before it for a lease from Redis (up to
# REDIS_TIMEOUT_SECONDS, 3 s) or a producer switch (0.5 s), with the socket's
# buffers in front of it; and it stays under the flood guard's 10 s burst.
RESEND_MS = 5000


@dataclass(frozen=True)
class StreamPlan:
    """What one client streams: PCM, where its utterances end, the session's modes.

    The PCM is `length` bytes of `source` from `start` (all of it by default):
    viewers joining one looped programme at different points share a single
    `source` instead of each holding, and shipping to its process, a copy.
    """

    source: bytes
    speech_ends_ms: tuple[int, ...]
    # Where each utterance heard from its start begins (for first text on screen).
    speech_starts_ms: tuple[int, ...] = ()
    dubbing: bool = True
    subtitles: bool = True
    source_language: str = "en"
    target_language: str = "es"
    start: int = 0
    length: int | None = None

    @property
    def pcm_bytes(self) -> int:
        """How many bytes of PCM the client sends."""
        return len(self.source) - self.start if self.length is None else self.length

    @property
    def pcm(self) -> bytes:
        """The PCM the client sends (a copy: for checks, not for the send loop)."""
        return self.source[self.start : self.start + self.pcm_bytes]

    def frame(self, offset: int) -> bytes:
        """The frame at byte `offset` of the PCM (shorter at the very end)."""
        end = min(offset + FRAME_BYTES, self.pcm_bytes)
        return self.source[self.start + offset : self.start + end]


@dataclass
class StreamResult:
    """What one client saw."""

    session_id: str = ""
    started_ms: float = 0.0
    stopped_ms: float | None = None  # when the last frame had gone out
    frames_sent: int = 0
    bytes_sent: int = 0  # the session's audio: what went out, each byte counted once
    bytes_resent: int = 0  # sent again after a reconnect
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    closed_code: int | None = None
    error: str | None = None
    reconnects: int = 0
    last_event_id: str | None = None
    ended: bool = False

    def utterance_end_ms(self, position_ms: int) -> float:
        """Wall time at which the viewer heard audio position `position_ms` (the speaker stopping).

        `started_ms` is when capture began, so this counts the frame's own wait
        for the rest of its 100 ms too, as a viewer of a live tab waits for it.
        """
        return self.started_ms + position_ms


def now_ms() -> float:
    """Wall clock in ms (the ingress stamps frames with the same clock)."""
    return time.time() * 1000.0


def rest_client(base_url: str) -> httpx.AsyncClient:
    """A client for the REST API (plain HTTP: no TLS context to build)."""
    return httpx.AsyncClient(base_url=base_url, timeout=30, verify=False)


async def create_session(http: httpx.AsyncClient, token: str, plan: StreamPlan) -> str:
    """POST a session (with the CSRF token the API wants on writes); return its id."""
    auth = {"Authorization": f"Bearer {token}"}
    answer = await http.get("/api/v1/auth/csrf", headers=auth)
    answer.raise_for_status()
    csrf = answer.json()["csrf_token"]
    body = {
        "session_type": {
            "audio_dubbing": plan.dubbing,
            "live_subtitles": plan.subtitles,
            "subtitle_language": None,
        },
        "source_language": plan.source_language,
        "target_language": plan.target_language,
    }
    response = await http.post(
        "/api/v1/dubbing/sessions", json=body, headers={**auth, "X-CSRF-Token": csrf}
    )
    response.raise_for_status()
    return str(response.json()["session_id"])


async def stream(
    base_url: str | Sequence[str],
    token: str,
    plan: StreamPlan,
    start_delay_s: float = 0.0,
    end_timeout_s: float = 60.0,
    reconnects: int = 0,
    http: httpx.AsyncClient | None = None,
) -> StreamResult:
    """Create a session, stream the plan's audio at real time, end it, collect its events.

    With `reconnects`, a dropped socket is opened again (on the next ingress of
    `base_url` when several are given) with the last event id seen; it sends the
    last RESEND_MS of audio again, then carries on from the first frame not yet
    sent. Viewers that share an `http` client (pointed at the first URL) share
    its connections.
    """
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    result = StreamResult()
    await asyncio.sleep(start_delay_s)
    for attempt in range(3):  # as the extension does: a dropped request is tried again
        try:
            if http is not None:
                result.session_id = await create_session(http, token, plan)
            else:
                async with rest_client(urls[0]) as own:
                    result.session_id = await create_session(own, token, plan)
            break
        except (OSError, httpx.HTTPError) as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(2**attempt)
    if not result.session_id:
        return result
    result.error = None
    attempt, ended = 0, False
    while not ended:
        url = urls[attempt % len(urls)]
        try:
            ended = await _connection(url, token, plan, result, end_timeout_s)
        except (OSError, websockets.WebSocketException) as exc:
            if attempt >= reconnects:
                result.error = f"{type(exc).__name__}: {exc}"
                return result
            attempt += 1
            result.reconnects += 1
            await asyncio.sleep(min(0.25 * attempt, 2.0))
    return result


async def _connection(
    url: str, token: str, plan: StreamPlan, result: StreamResult, end_timeout_s: float
) -> bool:
    """One socket's life: auth, the rest of the audio, `end`, until `ended` (True)."""
    ws_url = url.replace("http", "ws", 1) + f"/api/v1/dubbing/ws/{result.session_id}"
    async with websockets.connect(ws_url, max_size=2**22, ping_interval=None) as socket:
        resend_from = resend_start(result.bytes_sent)
        hello: dict[str, Any] = {"type": "auth", "token": token}
        hello["audio_position_ms"] = resend_from // BYTES_PER_MS
        if result.last_event_id:
            hello["last_event_id"] = result.last_event_id
        await socket.send(json.dumps(hello))
        receiver = asyncio.create_task(_receive(socket, result))
        sender = asyncio.create_task(_send_frames(socket, plan, result, resend_from))
        done, _ = await asyncio.wait({receiver, sender}, return_when=asyncio.FIRST_COMPLETED)
        if receiver in done:  # closed (or ended) while audio was still going out
            sender.cancel()
            receiver.result()
            result.closed_code = socket.close_code
            if not result.ended:
                raise websockets.ConnectionClosedError(None, None)
            return True
        sender.result()
        result.stopped_ms = now_ms()
        await socket.send(json.dumps({"type": "end"}))
        try:
            await asyncio.wait_for(receiver, end_timeout_s)
        except TimeoutError:
            result.error = "no `ended` before the timeout"
            return True
        result.closed_code = socket.close_code
        if not result.ended:
            raise websockets.ConnectionClosedError(None, None)  # dropped before `ended`
        return True


def resend_start(bytes_sent: int) -> int:
    """Where a new socket's audio begins: RESEND_MS before the end of what went out, on a ms."""
    start = max(bytes_sent - RESEND_MS * BYTES_PER_MS, 0)
    return start - start % BYTES_PER_MS


async def _send_frames(
    socket: ClientConnection, plan: StreamPlan, result: StreamResult, resend_from: int
) -> None:
    # What the last socket may have lost goes first, at once.
    for i in range(resend_from, result.bytes_sent, FRAME_BYTES):
        frame = plan.frame(i)[: result.bytes_sent - i]
        await _send_frame(socket, frame)
        result.bytes_resent += len(frame)
    # Absolute schedule from the first frame this socket sends: frame i leaves at
    # anchor + i * 100 ms, so pacing never drifts (and resumes in real time after a reconnect).
    first = result.frames_sent
    if first == 0:
        # A live tab sends a frame once its 100 ms have played: capture began a frame earlier.
        result.started_ms = now_ms() - FRAME_MS
    anchor = time.monotonic() - first * FRAME_MS / 1000.0
    for i in range(first * FRAME_BYTES, plan.pcm_bytes, FRAME_BYTES):
        due = anchor + (i // FRAME_BYTES) * FRAME_MS / 1000.0
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = plan.frame(i)
        await _send_frame(socket, frame)
        result.frames_sent += 1
        result.bytes_sent += len(frame)


# A full frame goes out pre-framed: FIN + binary, masked (as a client's must be)
# with an all-zero key, so the payload needs no masking pass. Hundreds of viewers
# share the machine with the stack; this keeps their cost per frame small.
_FRAME_HEADER = bytes([0x82, 0x80 | 126]) + FRAME_BYTES.to_bytes(2, "big") + bytes(4)
_WRITE_BUFFER_LIMIT = 65536


async def _send_frame(socket: ClientConnection, frame: bytes) -> None:
    transport = socket.transport
    if (
        len(frame) != FRAME_BYTES
        or socket.state is not State.OPEN
        or transport.get_write_buffer_size() > _WRITE_BUFFER_LIMIT
    ):
        await socket.send(frame)  # the library's path, with its checks and back-pressure
        return
    transport.write(_FRAME_HEADER + frame)


async def _receive(socket: Any, result: StreamResult) -> None:
    """Record events until `ended`; a close without it returns quietly (the caller decides)."""
    with contextlib.suppress(websockets.ConnectionClosed):
        async for message in socket:
            if isinstance(message, str):
                event = json.loads(message)
                result.events.append((now_ms(), event))
                if event.get("id"):
                    result.last_event_id = event["id"]
                if event.get("type") == "status" and event.get("status") == "ended":
                    result.ended = True
                    return
