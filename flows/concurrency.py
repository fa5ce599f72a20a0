"""Provider calls off the worker thread: each Bytewax worker gets an event loop of its own.

Bytewax calls operators synchronously on its worker threads (an `async def`
given to `op.map` would silently yield coroutine objects). Provider calls are
coroutines run on a loop in a thread beside the worker (`LoopThread`), so the
worker keeps segmenting audio and delivering other sessions' results while
calls are in flight, and calls for different sessions overlap.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# Every loop thread, so that they stop when a dataflow run is over (tests, file mode).
_threads: list[LoopThread] = []
_threads_lock = threading.Lock()


class LoopThread:
    """An asyncio loop running forever in a daemon thread; submit coroutines from any thread."""

    def __init__(self, name: str = "provider-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        with _threads_lock:
            _threads.append(self)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, work: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule the coroutine on this loop; its future completes in that thread."""
        return asyncio.run_coroutine_threadsafe(work, self.loop)

    def stop(self) -> None:
        """Stop the loop, wait for its thread, close it."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()


def close_worker_loops() -> None:
    """Stop every loop thread (after a dataflow run returns)."""
    with _threads_lock:
        threads, _threads[:] = list(_threads), []
    for thread in threads:
        thread.stop()


atexit.register(close_worker_loops)


class PerWorker(Generic[T]):
    """One instance per worker thread, built on first use there."""

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
