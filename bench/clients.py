"""Simulated viewers: a session over REST, then audio in real time over a WebSocket.

Each records every event it receives with the time it arrived.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

FRAME_MS = 100
FRAME_BYTES = 3200


@dataclass(frozen=True)
class StreamPlan:
    """What one client streams: PCM, where its utterances end, the session's modes."""

    pcm: bytes
    speech_ends_ms: tuple[int, ...]
    dubbing: bool = True
    subtitles: bool = True
    source_language: str = "en"
    target_language: str = "es"


@dataclass
class StreamResult:
    """What one client saw."""

    session_id: str = ""
    started_ms: float = 0.0
    frames_sent: int = 0
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    closed_code: int | None = None
    error: str | None = None

    def utterance_end_ms(self, position_ms: int) -> float:
        """Wall time at which the frame holding audio position `position_ms` was sent."""
        frame = -(-position_ms // FRAME_MS)  # ceil: the frame that completes this position
        return self.started_ms + frame * FRAME_MS


def now_ms() -> float:
    """Wall clock in ms (the ingress stamps frames with the same clock)."""
    return time.time() * 1000.0


async def create_session(http: httpx.AsyncClient, token: str, plan: StreamPlan) -> str:
    """POST a session (with the CSRF token the API wants on writes); return its id."""
    auth = {"Authorization": f"Bearer {token}"}
    csrf = (await http.get("/api/v1/auth/csrf", headers=auth)).json()["csrf_token"]
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
    base_url: str,
    token: str,
    plan: StreamPlan,
    start_delay_s: float = 0.0,
    end_timeout_s: float = 60.0,
) -> StreamResult:
    """Create a session, stream the plan's audio at real time, end it, collect its events."""
    result = StreamResult()
    await asyncio.sleep(start_delay_s)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            result.session_id = await create_session(http, token, plan)
        ws_url = base_url.replace("http", "ws", 1) + f"/api/v1/dubbing/ws/{result.session_id}"
        async with websockets.connect(ws_url, max_size=2**22, ping_interval=None) as socket:
            await socket.send(json.dumps({"type": "auth", "token": token}))
            receiver = asyncio.create_task(_receive(socket, result))
            await _send_frames(socket, plan, result)
            await socket.send(json.dumps({"type": "end"}))
            try:
                await asyncio.wait_for(receiver, end_timeout_s)
            except TimeoutError:
                result.error = "no `ended` before the timeout"
            result.closed_code = socket.close_code
    except (OSError, httpx.HTTPError, websockets.WebSocketException) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    return result


async def _send_frames(socket: Any, plan: StreamPlan, result: StreamResult) -> None:
    # Absolute schedule: frame i leaves at start + i * 100 ms, so pacing never drifts.
    result.started_ms = now_ms()
    start = time.monotonic()
    for i in range(0, len(plan.pcm), FRAME_BYTES):
        due = start + (i // FRAME_BYTES) * FRAME_MS / 1000.0
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await socket.send(plan.pcm[i : i + FRAME_BYTES])
        result.frames_sent += 1


async def _receive(socket: Any, result: StreamResult) -> None:
    async for message in socket:
        if isinstance(message, str):
            event = json.loads(message)
            result.events.append((now_ms(), event))
            if event.get("type") == "status" and event.get("status") == "ended":
                return
