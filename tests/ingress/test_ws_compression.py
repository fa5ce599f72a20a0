"""The ingress declines permessage-deflate: audio frames go uncompressed, saving CPU both ends."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator

import pytest
import websockets

import settings
from devstack.prereqs import free_port
from ingress.__main__ import hypercorn_config
from ingress.app import create_app
from ingress.ws_compression import decline_compression


@pytest.fixture
def decline() -> Iterator[None]:
    from hypercorn.protocol import ws_stream

    original = ws_stream.PerMessageDeflate  # type: ignore[attr-defined]
    decline_compression()
    yield
    ws_stream.PerMessageDeflate = original  # type: ignore[attr-defined]


async def test_the_handshake_agrees_on_no_extension(cfg: settings.Settings, decline: None) -> None:
    from hypercorn.asyncio import serve

    port = free_port()
    app = create_app(dataclasses.replace(cfg, ws_auth_timeout_seconds=2.0))
    shutdown = asyncio.Event()
    server = asyncio.create_task(
        serve(app, hypercorn_config(cfg, f"127.0.0.1:{port}"), shutdown_trigger=shutdown.wait)
    )
    try:
        for _ in range(100):
            try:
                async with websockets.connect(
                    f"ws://127.0.0.1:{port}/api/v1/dubbing/ws/nope", open_timeout=2
                ) as socket:
                    # The client offered permessage-deflate (websockets does by default).
                    assert socket.response is not None
                    assert "sec-websocket-extensions" not in socket.response.headers
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("server did not start")
    finally:
        shutdown.set()
        await server
