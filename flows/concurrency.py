"""Provider calls without blocking the worker: each Bytewax worker drives an event loop of its own.

Bytewax calls operators synchronously on its worker threads (an `async def`
given to `op.map` would silently yield coroutine objects). Provider calls are
coroutines on a loop that the worker itself steps (`WorkerLoop`): after
handing calls to it and whenever it looks for results, the worker runs what
is ready, never waiting for what is not. Blocking engine work (Whisper,
Piper, Apertium) runs in threads the coroutines await, so the worker keeps
segmenting audio and delivering other sessions' results while calls are in
flight, and calls for different sessions overlap.

The loop used to run in a thread beside the worker. Every call then crossed
threads twice, each crossing waiting for the other thread to get the GIL and
a core (`python -m bench --streams 100`: overhead p99 14-32 ms on the loop
thread, 13 ms on the worker's own loop). Now a call with nothing to wait for
(the no-op providers, a cached translation) finishes in the step that starts it.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# Looks closer together than this share one step: a worker looking at a hundred
# sessions' calls in a row polls the loop once, not a hundred times.
STEP_GAP_S = 0.0001
# A step runs passes of the loop until nothing is ready to run, at most this many
# (a coroutine that only yields must not keep the worker from its other work).
MAX_PASSES = 64

# Every worker loop, so that they close when a dataflow run is over (tests, file mode).
_loops: list[WorkerLoop] = []
_loops_lock = threading.Lock()


class WorkerLoop:
    """An asyncio loop stepped by the thread that owns it; it never runs on its own."""

    def __init__(self) -> None:
        # The selector loop, whose queue of ready callbacks a step can see.
        self.loop = asyncio.SelectorEventLoop()
        self._last_step = 0.0
        self._passes = 0
        with _loops_lock:
            _loops.append(self)

    def submit(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Start the coroutine; it first runs at the next `step`."""
        return self.loop.create_task(work)

    def step(self, *, unless_recent: bool = False) -> None:
        """Run what is ready, and what that makes ready, without waiting for anything.

        A thread's result reaches its coroutine over a chain of callbacks, one
        pass of the loop each; stopping after one pass would leave the rest of
        the chain to later looks, milliseconds apart. `unless_recent` skips the
        step when one ran within `STEP_GAP_S`.
        """
        now = time.perf_counter()
        if unless_recent and now - self._last_step < STEP_GAP_S:
            return
        self._last_step = now
        self._passes = 0
        self.loop.call_soon(self._stop_when_idle)
        self.loop.run_forever()

    def _stop_when_idle(self) -> None:
        # Runs last in its pass: what is ready now was made ready by this pass.
        self._passes += 1
        if self.loop._ready and self._passes < MAX_PASSES:  # type: ignore[attr-defined]
            self.loop.call_soon(self._stop_when_idle)
        else:
            self.loop.stop()

    def wait(self, tasks: Iterable[asyncio.Future[Any]]) -> None:
        """Run the loop until every one of `tasks` is done (the end of the input)."""
        pending = [task for task in tasks if not task.done()]
        if pending:
            self.loop.run_until_complete(asyncio.wait(pending))

    def close(self) -> None:
        """Cancel what is still running, stop the loop's threads, close it."""
        if self.loop.is_closed():
            return
        leftover = asyncio.all_tasks(self.loop)
        for task in leftover:
            task.cancel()
        if leftover:
            self.loop.run_until_complete(asyncio.wait(leftover))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()


def close_worker_loops() -> None:
    """Close every worker loop (after a dataflow run returns)."""
    with _loops_lock:
        loops, _loops[:] = list(_loops), []
    for loop in loops:
        loop.close()


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
