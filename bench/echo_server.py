"""A bare WebSocket echo on the ingress's server stack (Quart on Hypercorn): a bench baseline."""

from __future__ import annotations

import argparse

import uvloop
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, websocket

from ingress.direct_websocket import DirectWebsocketConnection

app = Quart("echo")
app.asgi_websocket_class = DirectWebsocketConnection  # as the ingress has it


@app.websocket("/echo")
async def echo() -> None:
    """Send every message straight back."""
    while True:
        await websocket.send(await websocket.receive())


def main() -> None:
    """Serve until terminated."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", required=True)
    config = Config()
    config.bind = [parser.parse_args().bind]
    uvloop.run(serve(app, config))  # as the ingress runs


if __name__ == "__main__":
    main()
