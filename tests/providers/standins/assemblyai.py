"""A local stand-in for AssemblyAI's Universal-Streaming v3 WebSocket API, on its wire format.

`ws://127.0.0.1:<port>/v3/ws?sample_rate=16000&encoding=pcm_s16le&speech_model=...`
with the API key in the `Authorization` header (a wrong key: HTTP 401 at the
handshake). The session answers as the real one does: a `Begin` message, then
`Turn` messages (partials while audio arrives, `end_of_turn` when it ends,
again formatted if `format_turns=true`), and on `{"type": "Terminate"}` a
`Termination` message and a normal close. Audio messages must carry 50-1000 ms
(else `Error` 3007 and close 3007, as the API does).

What the speaker "says" is `AssemblyAIStandin.transcript`, revealed one word
per `WORD_MS` of audio received. `language_detection=true` sessions report
`language_code` (`AssemblyAIStandin.language`).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

WORD_MS = 300
BYTES_PER_MS = 32  # 16 kHz s16le mono


def _flag(value: str | None) -> bool:
    # Query booleans arrive as true/True, depending on the client.
    return (value or "").lower() == "true"


@dataclass(frozen=True)
class SessionFault:
    """How to spoil the next session: refuse the handshake, stall, or fail with a close code."""

    status: int | None = None  # HTTP status at the handshake
    retry_after: float | None = None
    stall: bool = False  # accept, then never say anything
    close_code: int | None = None  # send Error, then close with this code, after Begin
    error: str = "planned failure"


@dataclass
class Session:
    """What one connection asked for and sent."""

    params: dict[str, str]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    audio_bytes: int = 0
    messages: int = 0
    terminated: bool = False


class AssemblyAIStandin:
    """The stand-in server; `async with` runs it on a free 127.0.0.1 port."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.transcript = "hello from the stand in"
        self.language = "en"
        self.faults: deque[SessionFault] = deque()
        self.sessions: list[Session] = []
        self._open: dict[ServerConnection, Session] = {}
        self._server: Server | None = None
        self.host = ""

    def reset(self) -> None:
        self.faults.clear()
        self.sessions.clear()
        self.transcript = "hello from the stand in"
        self.language = "en"

    async def __aenter__(self) -> AssemblyAIStandin:
        # The stand-in's own logs would show the key it receives; only the client's matter.
        quiet = logging.getLogger("standin.assemblyai")
        quiet.setLevel(logging.WARNING)
        self._server = await serve(
            self._session,
            "127.0.0.1",
            0,
            process_request=self._handshake,
            compression=None,
            logger=quiet,
        )
        port = self._server.sockets[0].getsockname()[1]
        self.host = f"ws://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def _handshake(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        headers = {name.lower(): value for name, value in request.headers.raw_items()}
        session = Session(dict(parse_qsl(url.query)), headers)
        self.sessions.append(session)
        self._open[connection] = session
        fault = self.faults[0] if self.faults else None
        if fault and fault.status:
            self.faults.popleft()
            response = connection.respond(fault.status, f"planned {fault.status}\n")
            if fault.retry_after is not None:
                response.headers["Retry-After"] = f"{fault.retry_after:g}"
            return response
        if url.path != "/v3/ws":
            return connection.respond(404, "Not Found\n")
        if headers.get("authorization") != self.api_key:
            return connection.respond(401, "Unauthorized\n")
        if "sample_rate" not in session.params:
            return connection.respond(400, "sample_rate is required\n")
        return None

    async def _session(self, ws: ServerConnection) -> None:
        session = self._open.pop(ws)
        fault = self.faults.popleft() if self.faults else None
        if fault and fault.stall:
            await ws.wait_closed()
            return
        await ws.send(
            json.dumps(
                {
                    "type": "Begin",
                    "id": str(uuid.uuid4()),
                    "expires_at": int(time.time()) + 3600,
                }
            )
        )
        if fault and fault.close_code:
            await self._fail(ws, fault.close_code, fault.error)
            return
        words = self.transcript.split()
        revealed = 0
        try:
            async for message in ws:
                if isinstance(message, bytes):
                    session.messages += 1
                    duration_ms = len(message) / BYTES_PER_MS
                    if not 50 <= duration_ms <= 1000:
                        await self._fail(ws, 3007, "Input duration violation")
                        return
                    session.audio_bytes += len(message)
                    heard = min(len(words), session.audio_bytes // BYTES_PER_MS // WORD_MS)
                    if heard > revealed:
                        revealed = heard
                        await ws.send(
                            self._turn(session, words[:revealed], end=False, formatted=False)
                        )
                elif json.loads(message).get("type") == "Terminate":
                    session.terminated = True
                    await self._finish(ws, session, words)
                    return
        except ConnectionClosed:
            return

    async def _finish(self, ws: ServerConnection, session: Session, words: list[str]) -> None:
        heard = words[: max(1, session.audio_bytes // BYTES_PER_MS // WORD_MS)] if words else []
        if heard:
            await ws.send(self._turn(session, heard, end=True, formatted=False))
            if _flag(session.params.get("format_turns")):
                await ws.send(self._turn(session, heard, end=True, formatted=True))
        seconds = session.audio_bytes // BYTES_PER_MS // 1000
        await ws.send(
            json.dumps(
                {
                    "type": "Termination",
                    "audio_duration_seconds": seconds,
                    "session_duration_seconds": seconds,
                }
            )
        )
        await ws.close(1000)

    def _turn(self, session: Session, words: list[str], *, end: bool, formatted: bool) -> str:
        text = " ".join(words)
        if formatted:
            text = text[:1].upper() + text[1:] + "."
        message: dict[str, Any] = {
            "type": "Turn",
            "turn_order": 0,
            "turn_is_formatted": formatted,
            "end_of_turn": end,
            "transcript": text,
            "end_of_turn_confidence": 0.9 if end else 0.1,
            "words": [
                {
                    "start": i * WORD_MS,
                    "end": (i + 1) * WORD_MS - 20,
                    "confidence": 0.95,
                    "text": word,
                    "word_is_final": end,
                }
                for i, word in enumerate(words)
            ],
        }
        if _flag(session.params.get("language_detection")):
            message["language_code"] = self.language
            message["language_confidence"] = 0.9
        return json.dumps(message)

    @staticmethod
    async def _fail(ws: ServerConnection, code: int, error: str) -> None:
        await ws.send(json.dumps({"type": "Error", "error_code": code, "error": error}))
        await ws.close(code, error)
