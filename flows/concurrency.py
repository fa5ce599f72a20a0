"""Run a batch's provider calls concurrently from Bytewax's synchronous operators.

Bytewax calls operators synchronously on its worker threads (an `async def`
given to `op.map` would silently yield coroutine objects). Each worker thread
gets one long-lived event loop; a batch's coroutines are gathered on it, so
calls for different sessions overlap instead of queueing behind each other.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

_local = threading.local()
# Every worker loop, so that they are closed when the dataflow is done (a loop
# dropped with its thread would leak its self-pipe).
_loops: list[asyncio.AbstractEventLoop] = []
_loops_lock = threading.Lock()


def worker_loop() -> asyncio.AbstractEventLoop:
    """The calling thread's event loop, created on first use and kept for the worker's life."""
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _local.loop = loop
        with _loops_lock:
            _loops.append(loop)
    return loop


def close_worker_loops() -> None:
    """Close the loops of workers that have finished (after a dataflow run returns)."""
    with _loops_lock:
        for loop in _loops:
            if not loop.is_running() and not loop.is_closed():
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
                loop.close()
        _loops[:] = [loop for loop in _loops if not loop.is_closed()]


atexit.register(close_worker_loops)


def run_batch(calls: Sequence[Awaitable[T]]) -> list[T]:
    """Await all calls concurrently on this worker's loop; results keep the input order."""
    if not calls:
        return []

    async def gather() -> list[T]:
        return list(await asyncio.gather(*calls))

    return worker_loop().run_until_complete(gather())


class PerWorker(Generic[T]):
    """One instance per worker thread, built on first use there.

    Provider clients bind to the event loop that first uses them, and each
    worker thread has its own loop.
    """

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._local = threading.local()

    def __call__(self) -> T:
        """The calling thread's instance."""
        instance: T | None = getattr(self._local, "instance", None)
        if instance is None:
            instance = self._build()
            self._local.instance = instance
        return instance
