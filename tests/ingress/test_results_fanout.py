"""Results fan-out: partition ownership, per-socket delivery, repeats, slow clients."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid

import pytest

import settings
from ingress.metrics import IngressMetrics
from ingress.results_fanout import Interruption, ResultMessage, Subscription, owned_partitions
from tests.ingress.conftest import StartApp
from tests.ingress.support import (
    Caller,
    ServedApp,
    authenticate,
    closed_with,
    produce_results,
    receive_json,
    reply_partition,
    transcript,
)
from wire.events import ResultEvent


def message(event: ResultEvent, offset: int | None = None) -> ResultMessage:
    partition = None if offset is None else 0
    return ResultMessage(event, event.to_json().decode(), partition, offset)


def test_each_partition_has_exactly_one_owner() -> None:
    partitions = list(range(7))
    owners = [owned_partitions(partitions, i, 3) for i in range(3)]
    assert owners == [[0, 3, 6], [1, 4], [2, 5]]
    assert sorted(p for owned in owners for p in owned) == partitions
    with pytest.raises(ValueError, match="owns none"):
        owned_partitions([0, 1], 2, 3)
    with pytest.raises(ValueError, match="INGRESS_INSTANCE"):
        owned_partitions(partitions, 3, 3)


async def test_a_subscription_drops_repeats_and_remembers_positions() -> None:
    sub = Subscription("s", 0, 0, queue_size=10, metrics=IngressMetrics(), hold=False)
    first, second = transcript("s", 0), transcript("s", 1)
    for m in (message(first, 5), message(first, 9), message(second, 6)):
        sub.offer(m)
    assert [sub.queue.get_nowait().event.id for _ in range(sub.queue.qsize())] == [
        first.id,
        second.id,
    ]
    assert sub.position_of(first.id) == (0, 5)
    assert sub.position_of("unknown") is None


async def test_held_events_follow_the_replayed_ones_once_each() -> None:
    sub = Subscription("s", 0, 0, queue_size=10, metrics=IngressMetrics(), hold=True)
    events = [transcript("s", n) for n in range(4)]
    sub.offer(message(events[2], 12))
    sub.offer(message(events[3], 13))
    assert sub.queue.empty() and sub.holding
    sub.release([message(events[0], 10), message(events[1], 11), message(events[2], 12)])
    assert not sub.holding
    assert [sub.queue.get_nowait().event.segment for _ in range(4)] == [0, 1, 2, 3]
    assert sub.queue.empty()


async def test_a_full_queue_interrupts_instead_of_growing() -> None:
    metrics = IngressMetrics()
    sub = Subscription("s", 0, 0, queue_size=3, metrics=metrics, hold=False)
    for n in range(5):
        sub.offer(message(transcript("s", n), n))
    assert sub.interrupted.result() is Interruption.OVERFLOW
    assert sub.queue.qsize() == 3
    assert metrics.slow_consumer_drops._value.get() == 1


async def test_each_socket_gets_exactly_its_own_events_in_order_once(
    two_instances: list[ServedApp], ingress_cfg: settings.Settings
) -> None:
    callers = [
        Caller(app.test_client(), ingress_cfg, f"user-{uuid.uuid4().hex[:8]}")
        for app in two_instances
    ]
    sessions = [(await c.create_session())["session_id"] for c in callers]
    async with (
        callers[0].client.websocket(f"/api/v1/dubbing/ws/{sessions[0]}") as ws0,
        callers[1].client.websocket(f"/api/v1/dubbing/ws/{sessions[1]}") as ws1,
    ):
        await authenticate(ws0, callers[0])
        await authenticate(ws1, callers[1])
        partitions = [await reply_partition(ingress_cfg, sid) for sid in sessions]
        # 3 partitions: instance 0 owns 0 and 2, instance 1 owns 1.
        assert partitions[0] in (0, 2) and partitions[1] == 1
        expected = {sid: [transcript(sid, n, f"{sid}-{n}") for n in range(5)] for sid in sessions}
        stranger = transcript("nobody-holds-this", 0)
        for sid, partition in zip(sessions, partitions, strict=True):
            events = expected[sid]
            # As after a flow restart: some events produced twice, a stranger in between.
            produced = [*events[:3], events[1], stranger, events[2], *events[3:], events[4]]
            await asyncio.to_thread(produce_results, ingress_cfg, partition, produced)
        for ws, sid in ((ws0, sessions[0]), (ws1, sessions[1])):
            received = [await receive_json(ws) for _ in range(5)]
            assert [m["data"] for m in received] == [e.data for e in expected[sid]]
            await ws.send(json.dumps({"type": "ping"}))
            assert (await receive_json(ws))["status"] == "pong"  # nothing else arrived


async def test_a_client_that_does_not_read_is_closed_4408(
    start_app: StartApp, ingress_cfg: settings.Settings, user: str
) -> None:
    cfg = dataclasses.replace(ingress_cfg, ws_send_queue=2)
    caller = Caller((await start_app(cfg)).test_client(), cfg, user)
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(f"/api/v1/dubbing/ws/{sid}") as ws:
        await authenticate(ws, caller)
        burst = [transcript(sid, n) for n in range(300)]
        await asyncio.to_thread(produce_results, cfg, await reply_partition(cfg, sid), burst)
        code, before = await closed_with(ws)
    assert code == 4408
    assert before[-1]["code"] == "slow_consumer"
    assert len(before) < 300
