"""Socket messages reach the handler straight from Hypercorn; a disconnect ends the handler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import websockets
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, websocket

from devstack.prereqs import free_port
from ingress.direct_websocket import DirectWebsocketConnection


@dataclass
class Handled:
    """How one socket's handler ended."""

    finished: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: bool = False


@dataclass
class EchoServer:
    url: str
    handled: list[Handled]  # one per socket, in the order they connected


def echo_app(handled: list[Handled]) -> Quart:
    """Echoes from a task of its own while the handler waits, as the stream socket does."""
    app = Quart("direct")
    app.asgi_websocket_class = DirectWebsocketConnection

    async def echo_all(done: asyncio.Future[None]) -> None:
        while True:
            message = await websocket.receive()
            if message == "bye":
                done.set_result(None)
                return
            await websocket.send(message)

    @app.websocket("/echo")
    async def echo() -> None:
        this = Handled()
        handled.append(this)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        reader = asyncio.create_task(echo_all(done))
        try:
            await done
        except asyncio.CancelledError:
            this.cancelled = True
            raise
        finally:
            reader.cancel()
            this.finished.set()

    return app


@pytest.fixture
async def echo_server() -> AsyncIterator[EchoServer]:
    """The echo app on a real Hypercorn server."""
    handled: list[Handled] = []
    port = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    shutdown = asyncio.Event()
    server = asyncio.create_task(serve(echo_app(handled), config, shutdown_trigger=shutdown.wait))
    try:
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        yield EchoServer(f"ws://127.0.0.1:{port}/echo", handled)
    finally:
        shutdown.set()
        await server


async def test_text_and_binary_messages_arrive_in_order(echo_server: EchoServer) -> None:
    async with websockets.connect(echo_server.url) as socket:
        for message in ["one", b"\x00\x01two", "", b"three"]:
            await socket.send(message)
        echoed = [await socket.recv() for _ in range(4)]
    assert echoed == ["one", b"\x00\x01two", "", b"three"]


async def test_a_client_that_goes_away_ends_the_handler(echo_server: EchoServer) -> None:
    async with websockets.connect(echo_server.url) as socket:
        await socket.send("hello")
        assert await socket.recv() == "hello"
    (handled,) = echo_server.handled
    await asyncio.wait_for(handled.finished.wait(), 5)
    assert handled.cancelled


async def test_a_handler_that_returns_closes_the_socket(echo_server: EchoServer) -> None:
    async with websockets.connect(echo_server.url) as socket:
        await socket.send("bye")
        with pytest.raises(websockets.ConnectionClosedOK):
            await socket.recv()
    (handled,) = echo_server.handled
    assert handled.finished.is_set() and not handled.cancelled
