"""How Hypercorn is configured: keepalive pings, message limits, an access log without secrets."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import websockets
from hypercorn.logging import AccessLogAtoms
from websockets.asyncio.client import ClientConnection

import settings
from devstack.ingress_process import served_ingress
from ingress.__main__ import hypercorn_config
from ingress.csrf import HEADER as CSRF
from ingress.dev_token import mint_dev_token


def test_the_access_log_leaves_out_headers_and_query_strings() -> None:
    config = hypercorn_config(settings.load(), "127.0.0.1:0")
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/v1/auth/csrf",
        "query_string": b"token=secret-in-query",
        "headers": [(b"authorization", b"Bearer secret-token"), (b"x-csrf-token", b"csrf-value")],
        "client": ("127.0.0.1", 5000),
    }
    atoms = AccessLogAtoms(scope, {"status": 200, "headers": []}, 0.01)  # type: ignore[arg-type]
    line = config.access_log_format % atoms
    assert "/api/v1/auth/csrf" in line and "200" in line
    for secret in ("secret-token", "secret-in-query", "csrf-value", "Bearer"):
        assert secret not in line


def test_sockets_are_pinged_and_messages_bounded() -> None:
    cfg = settings.load()
    config = hypercorn_config(cfg, "127.0.0.1:8080")
    assert config.bind == ["127.0.0.1:8080"]
    assert config.websocket_ping_interval == cfg.ws_ping_interval_seconds
    assert 32_000 < config.websocket_max_message_size <= 1024 * 1024


async def test_oversized_messages_close_1009_on_the_real_server_whatever_their_size(
    cfg: settings.Settings, tmp_path: Path
) -> None:
    """Over a frame's 1 s: frame_too_large, then 1009; over Hypercorn's 1 MiB: 1009 too."""
    with served_ingress(cfg, tmp_path) as base_url:
        token = mint_dev_token(cfg, f"user-{uuid.uuid4().hex[:8]}")
        auth = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base_url, headers=auth) as http:
            csrf = (await http.get("/api/v1/auth/csrf")).json()["csrf_token"]
            created = await http.post("/api/v1/dubbing/sessions", headers={CSRF: csrf}, json={})
        url = created.json()["websocket_url"]
        for size, events in [(40_000, ["frame_too_large"]), (2 * 1024 * 1024, [])]:
            async with websockets.connect(url, max_size=None, close_timeout=1) as ws:
                await ws.send(json.dumps({"type": "auth", "token": token}))
                assert json.loads(await ws.recv())["status"] == "connected"
                await ws.send(b"\x00" * size)
                code, received = await until_closed(ws)
            assert (code, [m["code"] for m in received]) == (1009, events), size


async def until_closed(ws: ClientConnection, timeout: float = 15) -> tuple[int, list[Any]]:
    """The messages before the server's close frame, and its code.

    Over 1 MiB Hypercorn sends its close and reads no further, so the closing
    handshake does not finish and recv() would wait out the client's timeout.
    """
    received: list[Any] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            received.append(json.loads(await asyncio.wait_for(ws.recv(), 0.2)))
        except TimeoutError:
            if ws.protocol.close_rcvd is not None:
                break
        except websockets.ConnectionClosed:
            break
    assert ws.protocol.close_rcvd is not None, "the server did not close"
    return ws.protocol.close_rcvd.code, received
