"""Socket messages straight from the server to the handler, without Quart's relay task.

Quart's `ASGIWebsocketConnection` runs a task per socket that takes each message
from the server (Hypercorn), fires the `websocket_received` signal and puts the
message on a queue that `websocket.receive()` reads: one more task wake-up,
queue hop and signal for every audio frame, on the process's busiest path.
Here `websocket.receive()` takes the message from the server itself, and a
disconnect cancels the handler, as the relay task's end did. Nothing here
listens to the signal.
"""

from __future__ import annotations

import asyncio

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable
from quart.asgi import ASGIWebsocketConnection
from quart.utils import cancel_tasks


class _ServerMessages:
    """What `websocket.receive()` awaits in place of Quart's queue: the server's next message."""

    def __init__(self, receive: ASGIReceiveCallable) -> None:
        self._receive = receive
        self.handler: asyncio.Future[None] | None = None

    async def get(self) -> str | bytes | None:
        event = await self._receive()
        while event["type"] == "websocket.connect":  # the ASGI handshake's opening event
            event = await self._receive()
        if event["type"] == "websocket.receive":
            data: bytes | None = event.get("bytes")
            return data if data is not None else event.get("text")
        # The client is gone: nothing more will come, and the handler is done.
        if self.handler is not None:
            self.handler.cancel()
        raise asyncio.CancelledError


class DirectWebsocketConnection(ASGIWebsocketConnection):
    """Quart's socket connection, with `websocket.receive()` served by the server directly."""

    async def __call__(self, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        """Run the handler until it returns or the client disconnects."""
        messages = _ServerMessages(receive)
        self.queue = messages  # type: ignore[assignment]  # Quart's Websocket reads `queue.get`
        websocket = self._create_websocket_from_scope(send)
        handler = asyncio.ensure_future(self.handle_websocket(websocket, send))
        messages.handler = handler
        try:
            await asyncio.wait([handler])
        finally:  # also when the server cancels this call: the handler must not outlive it
            await cancel_tasks({handler})
