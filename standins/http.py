"""Serving a stand-in REST API (a Quart app under Hypercorn) on 127.0.0.1, with planned faults.

A test plans faults for the next requests (`Faults.plan`): an HTTP status with
an optional Retry-After, or a stall longer than the client's timeout. Every
request is recorded (`Faults.seen`) so tests can check what the SDK sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, Response, g, request

from devstack.prereqs import free_port


@dataclass(frozen=True)
class Fault:
    """What to answer one request with instead of the real thing."""

    status: int = 503
    retry_after: float | None = None
    stall: float = 0.0  # seconds to wait first; longer than the client's timeout = a timeout
    body: Any = None


@dataclass(frozen=True)
class Seen:
    """A request as the stand-in received it."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    args: dict[str, str]
    body: Any
    at: float = field(default_factory=time.monotonic)


class Faults:
    """Planned faults, consumed one per request, and the requests seen."""

    def __init__(self) -> None:
        self.planned: deque[Fault] = deque()
        self.seen: list[Seen] = []

    def plan(self, *faults: Fault) -> None:
        """Answer the next requests with these faults, one each."""
        self.planned.extend(faults)

    def reset(self) -> None:
        """Forget planned faults and seen requests."""
        self.planned.clear()
        self.seen.clear()

    def requests_to(self, path_part: str) -> list[Seen]:
        """The requests whose path contains `path_part`."""
        return [seen for seen in self.seen if path_part in seen.path]

    async def record_and_fault(self) -> Response | None:
        """Record the current request; answer with the next planned fault, if any."""
        body: Any = await request.get_json(silent=True)
        if body is None:
            body = dict((await request.form).items())
        seen = Seen(
            request.method, request.path, _lowered(request.headers), dict(request.args), body
        )
        self.seen.append(seen)
        g.seen = seen  # this request's, whatever others arrive meanwhile
        if not self.planned:
            return None
        fault = self.planned.popleft()
        if fault.stall:
            await asyncio.sleep(fault.stall)
        headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        body = fault.body or {"message": f"planned {fault.status}"}
        return json_response(body, fault.status, headers)


def this_request() -> Seen:
    """The request being answered, as recorded."""
    seen: Seen = g.seen
    return seen


def _lowered(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer."""
    return Response(
        json.dumps(body), status=status, headers=headers or {}, content_type="application/json"
    )


class ServedApp:
    """Runs a Quart app on a free 127.0.0.1 port for the duration of an `async with`."""

    def __init__(self, app: Quart) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ServedApp:
        config = Config()
        config.bind = [f"127.0.0.1:{self.port}"]
        config.graceful_timeout = 0.5
        config.accesslog = None
        config.errorlog = None
        self._task = asyncio.create_task(serve(self.app, config, shutdown_trigger=self._stop.wait))
        for _ in range(200):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.02)
                continue
            writer.close()
            await writer.wait_closed()
            return self
        raise RuntimeError(f"stand-in did not listen on {self.port}")

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._task is not None
        await self._task


@asynccontextmanager
async def serving(
    make_app: Callable[[str, Faults], Quart], api_key: str
) -> AsyncIterator[tuple[str, Faults]]:
    """A stand-in built by `make_app(api_key, faults)`, served: (base URL, its faults)."""
    faults = Faults()
    async with ServedApp(make_app(api_key, faults)) as served:
        yield served.url, faults
