"""Replaying missed results after a reconnect: the plan, the reading, and whole reconnects."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid

from confluent_kafka import Consumer, TopicPartition

import settings
from ingress.replay import ReplayHop, after_last_seen, plan_replay, read_missed
from ingress.results_fanout import ResultMessage
from state.result_routes import ResultCursor, ResultRoute
from tests.ingress.support import (
    Caller,
    ServedApp,
    authenticate,
    produce_results,
    receive_json,
    reply_partition,
    transcript,
)
from wire.events import ResultEvent, event_id


def rerouted(session_id: str, to_partition: int, n: int = 1) -> ResultEvent:
    return ResultEvent(
        "status",
        event_id(session_id, -1, "status-rerouted", n),
        session_id,
        status="rerouted",
        extra={"to_partition": to_partition},
    )


def test_no_previous_route_means_nothing_to_replay() -> None:
    assert plan_replay(ResultRoute(), 1, 50) == []


def test_the_plan_starts_at_the_cursor_of_the_current_stint() -> None:
    route = ResultRoute(0, {0: 10}, ResultCursor(0, 14, "e"))
    # Same partition: up to where live delivery took over; another: up to the marker.
    assert plan_replay(route, 0, 30) == [ReplayHop(0, 14, 30)]
    assert plan_replay(route, 1, 30) == [ReplayHop(0, 14, None)]


def test_without_a_cursor_the_plan_starts_at_the_stint() -> None:
    assert plan_replay(ResultRoute(0, {0: 10}), 1, 30) == [ReplayHop(0, 10, None)]
    assert plan_replay(ResultRoute(0, {}), 0, 30) == [ReplayHop(0, None, 30)]


def test_a_cursor_from_an_earlier_stint_is_read_up_to_its_marker_first() -> None:
    elsewhere = ResultRoute(2, {0: 5, 2: 40}, ResultCursor(0, 7, "e"))
    assert plan_replay(elsewhere, 1, 30) == [ReplayHop(0, 7, None), ReplayHop(2, 40, None)]
    earlier_here = ResultRoute(0, {0: 20, 2: 3}, ResultCursor(0, 7, "e"))
    assert plan_replay(earlier_here, 0, 30) == [ReplayHop(0, 7, None), ReplayHop(0, 20, 30)]


def test_after_last_seen_skips_through_the_newest_seen_event() -> None:
    events = [ResultMessage(transcript("s", n), "", 0, n) for n in range(5)]
    ids = [e.event.id for e in events]
    assert after_last_seen(events, [ids[1], ids[3]]) == events[4:]
    assert after_last_seen(events, [ids[1], None]) == events[2:]
    assert after_last_seen(events, ["unknown", None]) == events


def end_offset(cfg: settings.Settings, partition: int) -> int:
    consumer = Consumer({"bootstrap.servers": cfg.kafka_bootstrap, "group.id": "offsets"})
    try:
        return int(consumer.get_watermark_offsets(TopicPartition(cfg.topic_results, partition))[1])
    finally:
        consumer.close()


async def test_reading_follows_the_hops_and_keeps_only_the_sessions_events(
    ingress_cfg: settings.Settings,
) -> None:
    cfg, sid, other = ingress_cfg, f"s-{uuid.uuid4().hex}", f"o-{uuid.uuid4().hex}"
    produce_results(cfg, 0, [transcript(sid, 0), transcript(other, 0)])
    cursor_at = end_offset(cfg, 0)
    produce_results(cfg, 0, [transcript(sid, 1), transcript(other, 1), rerouted(sid, 2)])
    produce_results(cfg, 0, [transcript(sid, 99)])  # after the marker: not this hop's
    stint = end_offset(cfg, 2)
    produce_results(cfg, 2, [transcript(sid, 2), transcript(other, 2), transcript(sid, 3)])
    until = end_offset(cfg, 2)
    produce_results(cfg, 2, [transcript(sid, 4)])  # live delivery's business
    hops = [ReplayHop(0, cursor_at, None), ReplayHop(2, stint, until)]
    found = await asyncio.to_thread(
        read_missed, cfg, sid, hops, time.monotonic() + 10, threading.Event()
    )
    assert [m.event.segment for m in found] == [1, 2, 3]
    assert [m.partition for m in found] == [0, 2, 2]


async def first_connection(caller: Caller, events: list[ResultEvent], acked: int) -> int:
    """Connect, receive `events`, acknowledge the `acked`-th, leave; the reply partition."""
    sid = events[0].session_id
    async with caller.client.websocket(f"/api/v1/dubbing/ws/{sid}") as ws:
        await authenticate(ws, caller)
        partition = await reply_partition(caller.cfg, sid)
        await asyncio.to_thread(produce_results, caller.cfg, partition, events)
        received = [(await receive_json(ws))["segment"] for _ in events]
        assert received == [e.segment for e in events]
        await ws.send(json.dumps({"type": "ack", "event_id": events[acked].id}))
    return partition


async def test_a_client_reconnecting_to_another_instance_gets_what_it_missed_once(
    two_instances: list[ServedApp], ingress_cfg: settings.Settings, user: str
) -> None:
    cfg = ingress_cfg
    first, second = (Caller(app.test_client(), cfg, user) for app in two_instances)
    sid = (await first.create_session())["session_id"]
    events = [transcript(sid, n) for n in range(8)]
    old = await first_connection(first, events[:3], acked=1)
    # The client is away: the flow still routes to the old partition.
    await asyncio.to_thread(produce_results, cfg, old, events[3:5])

    async with second.client.websocket(f"/api/v1/dubbing/ws/{sid}") as ws:
        # It saw segment 2 but only acknowledged segment 1.
        await authenticate(ws, second, last_event_id=events[2].id)
        new = await reply_partition(cfg, sid, 2)
        assert new == 1 and old in (0, 2)
        # The flow sees the new start record: a straggler and a repeat on the old partition,
        # the marker, then everything on the new one (one repeated).
        await asyncio.to_thread(
            produce_results, cfg, old, [events[4], events[5], rerouted(sid, new)]
        )
        await asyncio.to_thread(produce_results, cfg, new, [events[6], events[7], events[6]])
        received = [(await receive_json(ws))["segment"] for _ in range(5)]
        assert received == [3, 4, 5, 6, 7]
        await ws.send(json.dumps({"type": "ping"}))
        assert (await receive_json(ws))["status"] == "pong"


async def test_a_client_reconnecting_to_the_same_instance_gets_what_it_missed_once(
    caller: Caller,
) -> None:
    cfg = caller.cfg
    sid = (await caller.create_session())["session_id"]
    events = [transcript(sid, n) for n in range(4)]
    partition = await first_connection(caller, events[:2], acked=0)
    await asyncio.to_thread(produce_results, cfg, partition, events[2:3])
    async with caller.client.websocket(f"/api/v1/dubbing/ws/{sid}") as ws:
        await authenticate(ws, caller, last_event_id=events[1].id)
        await asyncio.to_thread(produce_results, cfg, partition, [events[3], events[2]])
        assert [(await receive_json(ws))["segment"] for _ in range(2)] == [2, 3]
        await ws.send(json.dumps({"type": "ping"}))
        assert (await receive_json(ws))["status"] == "pong"
