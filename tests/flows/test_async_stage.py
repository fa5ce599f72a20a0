"""AsyncStage: calls run on the worker's loop, results leave in order, restores lose nothing."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from flows.async_stage import FIRST_POLL, MAX_POLL, QUICK_LOOKS, AsyncStage
from flows.concurrency import WorkerLoop


class Gates:
    """Calls that finish when the test opens their gate (at the loop's next step)."""

    def __init__(self) -> None:
        self._gates: dict[str, asyncio.Event] = {}

    def _gate(self, item: str) -> asyncio.Event:
        return self._gates.setdefault(item, asyncio.Event())

    async def call(self, item: str) -> list[str]:
        await self._gate(item).wait()
        return [f"{item}!"]

    def open(self, item: str) -> None:
        self._gate(item).set()


@pytest.fixture
def loop() -> Iterator[WorkerLoop]:
    worker_loop = WorkerLoop()
    yield worker_loop
    worker_loop.close()


def _until_out(stage: AsyncStage[str, str], timeout_s: float = 5.0) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        out, _ = stage.on_notify()
        if out:
            return out
        time.sleep(0.001)
    raise AssertionError("nothing came out")


def _next_look_in(stage: AsyncStage[str, str]) -> tuple[timedelta, timedelta]:
    """Bounds on how long until the stage asked to be woken (clock reads either side)."""
    before = datetime.now(UTC)
    at = stage.notify_at()
    after = datetime.now(UTC)
    assert at is not None
    return at - after, at - before


def test_results_leave_in_order_even_when_a_later_call_finishes_first(loop: WorkerLoop) -> None:
    gates = Gates()
    stage: AsyncStage[str, str] = AsyncStage(gates.call, loop)
    assert stage.on_batch(["a", "b"]) == ([], False)
    gates.open("b")
    time.sleep(0.05)
    assert stage.on_notify() == ([], False)  # b is done, but a is not out yet
    gates.open("a")
    assert _until_out(stage) == ["a!", "b!"]
    assert stage.notify_at() is None  # nothing in flight: no wake-ups


def test_a_call_in_flight_is_looked_at_often_first_then_less_often(loop: WorkerLoop) -> None:
    gates = Gates()
    stage: AsyncStage[str, str] = AsyncStage(gates.call, loop)
    stage.on_batch(["slow"])
    looks = []
    for _ in range(QUICK_LOOKS + 6):
        looks.append(_next_look_in(stage))
        stage.on_notify()
    ms = timedelta(milliseconds=1)
    # The look on submit is the first of the quick ones.
    expected = [FIRST_POLL] * (QUICK_LOOKS - 1) + [ms / 2, ms, 2 * ms] + [MAX_POLL] * 4
    assert all(low <= want <= high for (low, high), want in zip(looks, expected, strict=True))
    # A result brings the quick looks back for the next call.
    gates.open("slow")
    _until_out(stage)
    stage.on_batch(["next"])
    low, high = _next_look_in(stage)
    assert low <= FIRST_POLL <= high
    gates.open("next")
    assert _until_out(stage) == ["next!"]


def test_a_restore_submits_again_what_had_not_left(loop: WorkerLoop) -> None:
    gates = Gates()
    stage: AsyncStage[str, str] = AsyncStage(gates.call, loop)
    stage.on_batch(["a", "b"])
    gates.open("a")
    assert _until_out(stage) == ["a!"]
    assert stage.snapshot() == ["b"]
    restored: AsyncStage[str, str] = AsyncStage(gates.call, loop, resume=stage.snapshot())
    gates.open("b")
    assert _until_out(restored) == ["b!"]
    assert restored.on_eof() == ([], True)


def test_a_call_with_nothing_to_wait_for_is_out_of_the_batch_that_started_it(
    loop: WorkerLoop,
) -> None:
    async def instant(item: str) -> list[str]:
        return [item.upper()]

    stage: AsyncStage[str, str] = AsyncStage(instant, loop)
    assert stage.on_batch(["a", "b"]) == (["A", "B"], True)
    assert stage.notify_at() is None


def test_a_step_runs_what_it_makes_ready(loop: WorkerLoop) -> None:
    # A thread's result reaches its coroutine over a chain like this one (a shared
    # translation's task, shielded); left to later looks, each link cost milliseconds.
    async def chained(item: str) -> list[str]:
        shared = asyncio.ensure_future(asyncio.sleep(0, item + "!"))
        for _ in range(3):
            await asyncio.sleep(0)
        return [await asyncio.shield(shared)]

    stage: AsyncStage[str, str] = AsyncStage(chained, loop)
    assert stage.on_batch(["a"]) == (["a!"], True)


def test_a_call_waiting_on_a_thread_comes_out_at_a_later_look(loop: WorkerLoop) -> None:
    release = threading.Event()

    async def in_thread(item: str) -> list[str]:
        await asyncio.to_thread(release.wait, 5)
        return [item + "!"]

    stage: AsyncStage[str, str] = AsyncStage(in_thread, loop)
    assert stage.on_batch(["a"]) == ([], False)  # the worker did not wait for the thread
    release.set()
    assert _until_out(stage) == ["a!"]


def test_the_end_of_the_input_waits_for_every_call(loop: WorkerLoop) -> None:
    async def slow(item: str) -> list[str]:
        await asyncio.sleep(0.05)
        return [item + "!"]

    stage: AsyncStage[str, str] = AsyncStage(slow, loop)
    assert stage.on_batch(["a", "b"]) == ([], False)
    assert stage.on_eof() == (["a!", "b!"], True)


class LedgerDown(Exception):
    pass


async def _fails_on_b(item: str) -> list[str]:
    if item == "b":
        raise LedgerDown(item)
    return [item + "!"]


def test_a_failed_call_is_skipped_and_the_other_items_go_on(loop: WorkerLoop) -> None:
    stage: AsyncStage[str, str] = AsyncStage(_fails_on_b, loop)
    assert stage.on_batch(["a", "b", "c"]) == (["a!", "c!"], True)


def test_a_stage_that_must_succeed_stops_the_flow_on_a_failed_call(loop: WorkerLoop) -> None:
    # Usage charges: skipping one would lose the seconds it carries (and a final
    # tick's end of the usage path); the flow's restart makes the call again.
    stage: AsyncStage[str, str] = AsyncStage(_fails_on_b, loop, must_succeed=True)
    with pytest.raises(LedgerDown):
        stage.on_batch(["a", "b", "c"])
