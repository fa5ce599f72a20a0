"""Results fan-out: this process's share of the results topic, delivered to its sockets.

Instance i of n owns the results partitions p with p % n == i and reads exactly
those with `assign()` (no consumer group: ownership is arithmetic, so nothing
rebalances when a process starts or stops, and each event is read by exactly
one ingress), from the end of each partition at start-up. A dedicated thread
polls the consumer with short timeouts, drops every message whose key is not a
session held here (before parsing any JSON) and hands the rest to the event
loop. Each socket's `Subscription` drops repeats by event id and buffers at
most `WS_SEND_QUEUE` messages: a client that does not read is cut off
(`Interruption.OVERFLOW`) instead of growing memory.

A socket's reply partition is one of the owned partitions, picked by a stable
hash of its session id. `register` notes how far the consumer had read that
partition at that moment, under the same lock the thread filters with: every
later event of the session is delivered live, every earlier one is the
replay's business (`ingress.replay`).
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

import settings
from ingress.metrics import IngressMetrics
from wire.events import EventError, ResultEvent, from_json

log = logging.getLogger(__name__)

CONSUMER_CONFIG = {
    "enable.auto.commit": "false",
    "fetch.wait.max.ms": "100",
    "fetch.min.bytes": "1",
}
POLL_TIMEOUT_S = 0.05
POLL_BATCH = 500
DEDUP_WINDOW = 4096  # event ids remembered per socket; replays reach back seconds, not hours
METADATA_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ResultMessage:
    """A result event with its place on the results topic (None for the ingress's own)."""

    event: ResultEvent
    text: str
    partition: int | None = None
    offset: int | None = None
    produced_ms: int | None = None


def parse_result(message: Message) -> ResultMessage | None:
    """The event in a results-topic message; None (logged) for anything else."""
    raw: bytes = message.value() or b""
    try:
        event = from_json(raw)
    except EventError as exc:
        log.warning(
            "skipping a malformed result at %s/%s: %s", message.partition(), message.offset(), exc
        )
        return None
    if event.session_id.encode() != message.key():
        log.warning(
            "result at %s/%s: key and session differ", message.partition(), message.offset()
        )
        return None
    kind, produced = message.timestamp()
    return ResultMessage(
        event, raw.decode(), message.partition(), message.offset(), produced if kind else None
    )


def local_text(event: ResultEvent) -> str:
    """The JSON of a message from the ingress itself (status, error).

    It carries no id: it is not a result, so it is never replayed, deduplicated or
    acknowledged, and a client that resumes from the last id it saw resumes from a result.
    """
    body = {k: v for k, v in event.to_dict().items() if k not in ("id", "segment", "final")}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def is_reroute_marker(event: ResultEvent) -> bool:
    """The flow's note that a session's later events go to another partition (not for clients)."""
    return event.type == "status" and event.status == "rerouted"


def owned_partitions(partitions: list[int], instance: int, instances: int) -> list[int]:
    """The partitions instance `instance` of `instances` reads."""
    if not 0 <= instance < instances:
        raise ValueError(f"INGRESS_INSTANCE must be in [0, {instances}), not {instance}")
    owned = [p for p in sorted(partitions) if p % instances == instance]
    if not owned:
        raise ValueError(
            f"instance {instance} of {instances} owns none of {len(partitions)} partitions"
        )
    return owned


class Interruption(enum.Enum):
    """Why a subscription stopped delivering."""

    OVERFLOW = "overflow"  # the client did not read fast enough
    REPLACED = "replaced"  # a newer socket for the same session registered here


class Subscription:
    """One socket's results: deduplicated, in order, in a bounded queue."""

    def __init__(
        self,
        session_id: str,
        reply_partition: int,
        start_offset: int,
        queue_size: int,
        metrics: IngressMetrics,
        hold: bool,
    ) -> None:
        self.session_id = session_id
        self.reply_partition = reply_partition
        self.start_offset = start_offset
        self.queue: asyncio.Queue[ResultMessage] = asyncio.Queue(maxsize=queue_size)
        self.interrupted: asyncio.Future[Interruption] = asyncio.get_running_loop().create_future()
        self._metrics = metrics
        self._held: list[ResultMessage] | None = [] if hold else None
        self._delivered: OrderedDict[str, tuple[int, int] | None] = OrderedDict()

    @property
    def holding(self) -> bool:
        """Live events are being held back until a replay releases them."""
        return self._held is not None

    def offer(self, message: ResultMessage) -> None:
        """A live event for this session."""
        if self.interrupted.done() or is_reroute_marker(message.event):
            return
        if self._held is None:
            self._enqueue(message)
        elif len(self._held) < self.queue.maxsize:
            self._held.append(message)
        else:
            self.interrupt(Interruption.OVERFLOW)

    def release(self, replayed: list[ResultMessage]) -> None:
        """Deliver replayed events, then the live ones held meanwhile (repeats dropped)."""
        held, self._held = self._held or [], None
        for message in (*replayed, *held):
            if self.interrupted.done():
                return
            if not is_reroute_marker(message.event):
                self._enqueue(message)

    def send_local(self, event: ResultEvent) -> None:
        """A message from the ingress itself (status, error), in order with the results."""
        if not self.interrupted.done():
            self._put(ResultMessage(event, local_text(event)))

    def position_of(self, event_id: str) -> tuple[int, int] | None:
        """Where a recently delivered result event was on the results topic."""
        return self._delivered.get(event_id)

    def interrupt(self, why: Interruption) -> None:
        """Stop delivering; the socket closes for `why`."""
        if not self.interrupted.done():
            if why is Interruption.OVERFLOW:
                self._metrics.slow_consumer_drops.inc()
            self.interrupted.set_result(why)

    def _put(self, message: ResultMessage) -> bool:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.interrupt(Interruption.OVERFLOW)
            return False
        return True

    def _enqueue(self, message: ResultMessage) -> None:
        event_id = message.event.id
        if event_id in self._delivered:
            self._metrics.duplicates_dropped.inc()
            return
        if not self._put(message):
            return
        position = None
        if message.partition is not None and message.offset is not None:
            position = (message.partition, message.offset)
        self._delivered[event_id] = position
        if len(self._delivered) > DEDUP_WINDOW:
            self._delivered.popitem(last=False)


class ResultsFanout:
    """The live consumer of this instance's results partitions and the sockets it serves."""

    def __init__(self, cfg: settings.Settings, metrics: IngressMetrics) -> None:
        self.cfg = cfg
        self.topic = cfg.topic_results
        self._metrics = metrics
        self._subscriptions: dict[str, Subscription] = {}
        self._lock = threading.Lock()  # the thread's filter vs. registrations
        self._wanted: set[bytes] = set()
        self._positions: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._consume, name="results-fanout", daemon=True)
        self._consumer = Consumer(
            {
                "bootstrap.servers": cfg.kafka_bootstrap,
                # librdkafka insists on a group id; with assign() and no commits none is joined.
                "group.id": f"livedub-ingress-{cfg.ingress_instance}",
                "logger": log,
                **CONSUMER_CONFIG,
            }
        )
        self.owned: list[int] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Find this instance's partitions, start each at its end, and start reading (blocking).

        Results are handed to `loop`, where the sockets live.
        """
        self._loop = loop
        deadline = time.monotonic() + METADATA_TIMEOUT_S
        self.owned = owned_partitions(
            self._partitions(deadline), self.cfg.ingress_instance, self.cfg.ingress_instances
        )
        assignment = []
        for partition in self.owned:
            high = self._end_offset(partition, deadline)
            self._positions[partition] = high
            assignment.append(TopicPartition(self.topic, partition, high))
        self._consumer.assign(assignment)
        self._thread.start()

    # A topic created moments ago may not be known to the broker's metadata, or have
    # its leaders, yet: both lookups retry until the start-up deadline.

    def _partitions(self, deadline: float) -> list[int]:
        while True:
            metadata = self._consumer.list_topics(self.topic, timeout=METADATA_TIMEOUT_S)
            topic = metadata.topics[self.topic]
            if topic.error is None and topic.partitions:
                return list(topic.partitions)
            if time.monotonic() > deadline:
                raise RuntimeError(f"results topic {self.topic}: {topic.error}")
            time.sleep(0.1)

    def _end_offset(self, partition: int, deadline: float) -> int:
        while True:
            try:
                _low, high = self._consumer.get_watermark_offsets(
                    TopicPartition(self.topic, partition), timeout=METADATA_TIMEOUT_S
                )
                return int(high)
            except KafkaException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop reading and close the consumer."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        else:
            self._consumer.close()

    def reply_partition(self, session_id: str) -> int:
        """The owned partition a session's results are routed to (stable across restarts)."""
        return self.owned[zlib.crc32(session_id.encode()) % len(self.owned)]

    def register(self, session_id: str, queue_size: int, hold: bool) -> Subscription:
        """Deliver the session's results from now on; a socket already here is replaced."""
        partition = self.reply_partition(session_id)
        with self._lock:
            self._wanted.add(session_id.encode())
            start = self._positions[partition]
        subscription = Subscription(session_id, partition, start, queue_size, self._metrics, hold)
        previous = self._subscriptions.get(session_id)
        if previous is not None:
            previous.interrupt(Interruption.REPLACED)
        self._subscriptions[session_id] = subscription
        return subscription

    def unregister(self, subscription: Subscription) -> None:
        """Stop delivering to this subscription (a newer one for the session stays)."""
        if self._subscriptions.get(subscription.session_id) is subscription:
            del self._subscriptions[subscription.session_id]
            with self._lock:
                self._wanted.discard(subscription.session_id.encode())

    def _consume(self) -> None:
        try:
            while not self._stop.is_set():
                # consume(n, timeout) waits for n messages or the timeout: with results
                # trickling in that is the full timeout each time. Wait for one, then
                # take whatever else is already there.
                first = self._consumer.poll(POLL_TIMEOUT_S)
                if first is None:
                    continue
                messages = [first, *self._consumer.consume(POLL_BATCH - 1, 0)]
                matched: list[Message] = []
                with self._lock:
                    for message in messages:
                        error, partition, offset = (
                            message.error(),
                            message.partition(),
                            message.offset(),
                        )
                        if error is not None or partition is None or offset is None:
                            log.warning("results consumer: %s", error)
                            continue
                        self._positions[partition] = offset + 1
                        if message.key() in self._wanted:
                            matched.append(message)
                parsed = [r for m in matched if (r := parse_result(m)) is not None]
                if parsed and self._loop is not None:
                    self._loop.call_soon_threadsafe(self._dispatch, parsed)
        finally:
            self._consumer.close()

    def _dispatch(self, results: list[ResultMessage]) -> None:
        for result in results:
            subscription = self._subscriptions.get(result.event.session_id)
            if subscription is not None:
                subscription.offer(result)
