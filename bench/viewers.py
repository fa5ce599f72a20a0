"""Running the simulated viewers: in this process, or spread over several.

At a few hundred streams one Python process cannot send every frame on time
(its event loop ran timers up to 150 ms late at 500 streams), and the figures
would measure the load generator instead of the stack. Several processes
share the viewers out; their CPU is reported with the stack's, since it is
taken from the same two cores.
"""

from __future__ import annotations

import asyncio
import gc
import random
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import uvloop

from bench.clients import StreamPlan, StreamResult, rest_client, stream


@dataclass(frozen=True)
class ViewerGroup:
    """Viewers for one process: where each connects, its token and its audio."""

    urls: list[str]
    tokens: list[str]
    plans: list[StreamPlan]
    spread_s: float


@dataclass
class ViewersRun:
    """What the viewers saw, how late their event loops ran, the CPU they used."""

    results: list[StreamResult]
    loop_delays_ms: list[float]
    cpu_seconds: float


def run_group(group: ViewerGroup) -> tuple[list[StreamResult], list[float]]:
    """Every viewer of the group at once (starts spread over `spread_s`)."""
    # The viewers keep every event they receive: a full collection over them
    # stalls the process, and with it the arrival times it records.
    gc.disable()
    try:
        return uvloop.run(_group(group))
    finally:
        gc.enable()


async def _group(group: ViewerGroup) -> tuple[list[StreamResult], list[float]]:
    delays: list[float] = []
    watch = asyncio.create_task(_watch_loop(delays))
    # One REST client per ingress for the whole group, not one per viewer: all
    # viewers join within a second or two, and those clients' set-up competed with the stack.
    clients = {url: rest_client(url) for url in set(group.urls)}
    try:
        results = await asyncio.gather(
            *[
                stream(url, token, plan, random.uniform(0, group.spread_s), http=clients[url])
                for url, token, plan in zip(group.urls, group.tokens, group.plans, strict=True)
            ]
        )
    finally:
        watch.cancel()
        for client in clients.values():
            await client.aclose()
    return list(results), delays


async def _watch_loop(delays: list[float], tick_s: float = 0.01) -> None:
    while True:
        due = time.monotonic() + tick_s
        await asyncio.sleep(tick_s)
        delays.append((time.monotonic() - due) * 1000)


def run_viewers(group: ViewerGroup, processes: int) -> ViewersRun:
    """The group, in this process or dealt out over `processes` processes."""
    if processes <= 1 or len(group.plans) < 2 * processes:
        started = time.process_time()
        results, delays = run_group(group)
        return ViewersRun(results, delays, time.process_time() - started)
    shares = [
        ViewerGroup(
            group.urls[i::processes],
            group.tokens[i::processes],
            group.plans[i::processes],
            group.spread_s,
        )
        for i in range(processes)
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        parts = list(pool.map(run_group, shares))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # Back in viewer order: viewer i went to process i % processes, as its i // processes-th.
    in_order: list[StreamResult] = [StreamResult()] * len(group.plans)
    for i, (part, _) in enumerate(parts):
        in_order[i::processes] = part
    return ViewersRun(in_order, [d for _, delays in parts for d in delays], cpu)
