"""A keyed step whose work runs on the worker's provider loop and whose results come later.

`AsyncStage` is the logic of a `stateful_batch` step keyed by session: every
item is handed to a coroutine on the worker's `WorkerLoop` at once, and
results are emitted, in each session's order, as their calls finish. A call
with nothing to wait for (a cached translation, the no-op providers) is done
before `on_batch` returns. Bytewax wakes the step while calls are in flight:
every quarter millisecond for the first couple of milliseconds (short calls,
such as a sentence for Apertium's thread), then less and less often up to
every few milliseconds (slow calls cost few wake-ups); each wake-up steps the
loop. The worker never waits for a provider, so one slow call holds up only
its own session. A call may also be an async generator of result lists (a
speech stream): the oldest call's results go out as they are produced, so a
dub's first audio leaves while the rest is still being spoken.

Recovery: the snapshot is the items whose results have not been emitted yet;
a restore submits them again. Results therefore reach the sink at least once,
with the same ids, as everywhere else in the flow. A call that fails is logged
and skipped, unless the stage `must_succeed` (usage charges): then the failure
stops the flow, which resumes from its last snapshot and makes the call again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from bytewax.operators import StatefulBatchLogic

from flows.concurrency import WorkerLoop

log = logging.getLogger(__name__)

I = TypeVar("I")  # noqa: E741
O = TypeVar("O")  # noqa: E741

FIRST_POLL = timedelta(milliseconds=0.25)
# Looks at FIRST_POLL before backing off. Doubling from the first look would add
# up to as much wait again to a call of a millisecond or two.
QUICK_LOOKS = 8
MAX_POLL = timedelta(milliseconds=4)

Call = Callable[[I], Awaitable[list[O]] | AsyncIterator[list[O]]]


@dataclass
class _InFlight(Generic[I, O]):
    """A call under way and what it has produced that is not out yet."""

    item: I
    task: asyncio.Task[None] | None = None
    produced: list[O] = field(default_factory=list)


class AsyncStage(StatefulBatchLogic[I, O, list[I]], Generic[I, O]):
    """One session's calls in flight, emitted in order as they complete."""

    def __init__(
        self,
        call: Call[I, O],
        loop: WorkerLoop,
        resume: list[I] | None = None,
        must_succeed: bool = False,
    ) -> None:
        self._call = call
        self._loop = loop
        self._must_succeed = must_succeed
        self._pending: deque[_InFlight[I, O]] = deque()
        self._idle_looks = 0  # looks in a row that found nothing finished
        if resume:
            for item in resume:
                self._submit(item)
            loop.step()

    def _submit(self, item: I) -> None:
        call: _InFlight[I, O] = _InFlight(item)

        async def run() -> None:
            results = self._call(item)
            if isinstance(results, AsyncIterator):
                async for produced in results:
                    call.produced += produced
            else:
                call.produced += await results

        call.task = self._loop.submit(run())
        self._pending.append(call)
        self._idle_looks = 0

    def on_batch(self, values: list[I]) -> tuple[list[O], bool]:
        """Start a call for each item; emit whatever has already finished."""
        for item in values:
            self._submit(item)
        self._loop.step()
        return self._drain()

    def on_notify(self) -> tuple[list[O], bool]:
        """Step the loop (unless another session's look just did); emit what finished."""
        self._loop.step(unless_recent=True)
        return self._drain()

    def on_eof(self) -> tuple[list[O], bool]:
        """The input is over (file mode, tests): wait for every call, emit everything."""
        self._loop.wait(call.task for call in self._pending if call.task is not None)
        return self._drain()

    def notify_at(self) -> datetime | None:
        """Look again while calls are in flight."""
        return datetime.now(UTC) + self._next_look() if self._pending else None

    def _next_look(self) -> timedelta:
        doublings = self._idle_looks - QUICK_LOOKS + 1
        if doublings <= 0:
            return FIRST_POLL
        # The shift is capped: a call can be idle for hours, the wait stops at MAX_POLL.
        return min(FIRST_POLL * (1 << min(doublings, 8)), MAX_POLL)

    def snapshot(self) -> list[I]:
        """The items whose results are not out yet (immutable items: a list copy is enough)."""
        return [call.item for call in self._pending]

    def _drain(self) -> tuple[list[O], bool]:
        out: list[O] = []
        while self._pending:
            call = self._pending[0]
            out += call.produced  # what the oldest call has made so far may go
            call.produced = []
            assert call.task is not None
            if not call.task.done():
                break
            self._pending.popleft()
            try:
                call.task.result()
            except Exception:  # a bug in a step must not stop the other sessions...
                if self._must_succeed:  # ...unless skipping the item would lose what it carries
                    raise
                log.exception("a provider step failed on %r", type(call.item).__name__)
        # Nothing finished since the last look: the calls in flight may be slow ones.
        self._idle_looks = 0 if out else self._idle_looks + 1
        return out, not self._pending
