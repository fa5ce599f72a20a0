"""The limits each figure is compared with, measured in the same run on the same machine.

- A bare confluent-kafka produce -> consume round trip on the same broker, with
  the producer and consumer settings the pipeline itself uses: once on the
  idle broker, and again beside each load (in a process of its own), so the
  stretch the load itself puts on a bare Kafka hop shows too.
- The same record's trip out and back through a bare relay process: the two
  crossings of Kafka the pipeline makes, with nothing in between.
- A bare WebSocket echo on the same server stack (Quart on Hypercorn).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import uvloop
import websockets
from confluent_kafka import Consumer, Producer, TopicPartition

from bench.kafka_relay import start_relay
from devstack.kafka import create_topics
from devstack.prereqs import free_port, port_accepts
from devstack.processes import wait_until
from flows.live import CONSUMER_CONFIG

WARM_UP_S = 30.0
TRIP_TIMEOUT_S = 30.0


def kafka_round_trip_ms(
    bootstrap: str,
    count: int = 500,
    interval_s: float = 0.005,
    start_after_s: float = 0.0,
    within_s: float | None = None,
) -> list[float]:
    """Produce small records one at a time and time each until the consumer has it.

    `count` of them, or as many as fit in the `within_s` seconds that begin
    `start_after_s` after the call.
    """
    [one_hop] = kafka_trips_ms(bootstrap, (1,), count, interval_s, start_after_s, within_s)
    return one_hop


def kafka_trips_ms(
    bootstrap: str,
    hops: Sequence[int],
    count: int = 500,
    interval_s: float = 0.005,
    start_after_s: float = 0.0,
    within_s: float | None = None,
) -> list[list[float]]:
    """As `kafka_round_trip_ms`, for each number of hops in `hops`, a trip of each in turn.

    One hop: produce, consume. Two: out to a bare relay process and back
    (`bench.kafka_relay`), the pipeline's two crossings of Kafka with none of
    its work. `count` trips of each; `interval_s` is the pause after every trip.
    """
    with _routes(bootstrap, hops) as routes:
        return _round_trips(bootstrap, routes, count, interval_s, start_after_s, within_s)


Route = tuple[str, str]  # the topic a record is sent to, the one it comes back on


@contextmanager
def _routes(bootstrap: str, hops: Sequence[int]) -> Iterator[list[Route]]:
    """Fresh topics for each route, and a relay for each two-hop one while in use."""
    routes: list[Route] = []
    relays: list[subprocess.Popen[bytes]] = []
    try:
        for crossings in hops:
            if crossings not in (1, 2):
                raise ValueError(f"one hop or two, not {crossings}")
            there, back = (f"bench.rtt.{uuid.uuid4().hex[:8]}" for _ in range(2))
            if crossings == 1:
                back = there
            create_topics(bootstrap, sorted({there, back}), 1)
            if crossings == 2:
                relays.append(start_relay(bootstrap, there, back))
            routes.append((there, back))
        yield routes
    finally:
        for relay in relays:
            relay.terminate()
            relay.wait(10)


def _round_trips(
    bootstrap: str,
    routes: list[Route],
    count: int,
    interval_s: float,
    start_after_s: float,
    within_s: float | None,
) -> list[list[float]]:
    """Each route's trips, taken in turn; the latencies per route."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": "0", "acks": "all"})
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "bench-rtt",
            "enable.auto.commit": False,
            **CONSUMER_CONFIG,
        }
    )
    consumer.assign([TopicPartition(back, 0, 0) for _, back in routes])

    def trip(route: Route, value: bytes, wait_s: float) -> float:
        sent = time.perf_counter()
        producer.produce(route[0], value=value)
        producer.poll(0)
        while time.perf_counter() - sent < wait_s:
            msg = consumer.poll(1.0)
            if msg is not None and not msg.error() and msg.value() == value:
                return (time.perf_counter() - sent) * 1000
        raise RuntimeError(f"a record sent to {route[0]} did not come back within {wait_s:g} s")

    latencies: list[list[float]] = [[] for _ in routes]
    began = time.monotonic()
    try:
        # Connections, metadata and a relay's start-up are not part of a trip.
        for route in routes:
            trip(route, f"warm-up {route[0]}".encode(), WARM_UP_S)
        time.sleep(max(0.0, began + start_after_s - time.monotonic()))
        stop = began + start_after_s + within_s if within_s is not None else float("inf")
        for i in range(count):
            for n, route in enumerate(routes):
                if time.monotonic() >= stop:
                    return latencies
                latencies[n].append(trip(route, f"{n}-{i}".encode(), TRIP_TIMEOUT_S))
                time.sleep(interval_s)
    finally:
        producer.flush(5)
        consumer.close()
    return latencies


async def _echo_round_trips(url: str, count: int) -> list[float]:
    latencies = []
    async with websockets.connect(url) as socket:
        payload = bytes(3200)  # one 100 ms audio frame
        for _ in range(count):
            sent = time.perf_counter()
            await socket.send(payload)
            await socket.recv()
            latencies.append((time.perf_counter() - sent) * 1000)
            await asyncio.sleep(0.002)
    return latencies


def websocket_echo_ms(count: int = 500) -> list[float]:
    """Round trips of a 100 ms audio frame through a Quart/Hypercorn echo socket."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.echo_server", "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_until(lambda: port_accepts(port), 20):
            raise RuntimeError("echo server did not start")
        return uvloop.run(_echo_round_trips(f"ws://127.0.0.1:{port}/echo", count))
    finally:
        server.terminate()
        server.wait(10)
