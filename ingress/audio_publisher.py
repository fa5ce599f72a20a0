"""Publishing audio records to the audio topic: at once when quiet, batched when busy.

`publish` never blocks the event loop: `produce` only queues the record in
librdkafka's buffer, and when that buffer is full (BufferError) it yields and
tries again while the poll thread drains it. A record counts as accepted once
it is in that buffer: librdkafka delivers it (idempotence: in order, without
duplicates, retrying through broker hiccups), and the poll thread runs the
delivery callbacks that count failures.

Two idempotent producers, one in use at a time, picked by the records' rate:
- quiet (the usual case): no linger, a frame leaves at once. Frames of
  different sockets seldom come within a millisecond of each other here, so
  a linger would add its whole wait to nearly every frame.
- busy: a millisecond of linger puts several frames in each request. The
  broker then serves a fraction of the requests, and that CPU is what lets
  two cores carry hundreds of streams.
A switch first waits until everything the producer in use holds is delivered,
so records reach the topic in the order they were published.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from confluent_kafka import KafkaError, Message, Producer

import settings
from ingress.metrics import IngressMetrics
from wire import audio

log = logging.getLogger(__name__)

# The buffer bound makes a stalled broker push back (BufferError) instead of growing.
PRODUCER_CONFIG = {
    "enable.idempotence": "true",
    "queue.buffering.max.kbytes": "65536",
    # Only failures need a callback: a Python call per delivered frame costs CPU for nothing.
    "delivery.report.only.error": True,
}
QUIET_LINGER_MS = "0"
BUSY_LINGER_MS = "1"
# Records per second on this process (a stream sends 10): batching from the
# first, back to leaving at once below the second.
BUSY_RECORDS_PER_S = 1200.0
QUIET_RECORDS_PER_S = 800.0
RATE_WINDOW_S = 0.5
# Quiet for this long before leaving batching: a busy ingress that stalls for a
# moment sees a window with few records, then a burst (at 500 streams on a slow
# host, without it, the mode flipped every half second).
QUIET_HOLD_S = 5.0
SWITCH_WAIT_S = 0.5  # longer, and the broker is in trouble: keep the producer...
SWITCH_RETRY_S = 5.0  # ...and try again this much later
BUFFER_FULL_PAUSE_S = 0.005
POLL_TIMEOUT_S = 0.025  # per producer


class RecordRate:
    """Records per second, over the last complete window."""

    def __init__(
        self, window_s: float = RATE_WINDOW_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._window_s = window_s
        self._clock = clock
        self._started = clock()
        self._count = 0
        self.per_s = 0.0

    def add(self) -> bool:
        """One more record; True when it closed a window (`per_s` is new)."""
        self._count += 1
        elapsed = self._clock() - self._started
        if elapsed < self._window_s:
            return False
        self.per_s = self._count / elapsed
        self._started, self._count = self._started + elapsed, 0
        return True


class AudioPublisher:
    """The audio topic's producers and the thread that polls them."""

    def __init__(
        self,
        cfg: settings.Settings,
        metrics: IngressMetrics,
        busy_per_s: float = BUSY_RECORDS_PER_S,
        quiet_per_s: float = QUIET_RECORDS_PER_S,
        quiet_hold_s: float = QUIET_HOLD_S,
    ) -> None:
        self.topic = cfg.topic_audio
        self._busy_per_s, self._quiet_per_s = busy_per_s, quiet_per_s
        self._quiet_hold_s = quiet_hold_s
        self._quiet_since: float | None = None
        self._metrics = metrics
        config = {"bootstrap.servers": cfg.kafka_bootstrap, "logger": log, **PRODUCER_CONFIG}
        self._quiet = Producer({**config, "linger.ms": QUIET_LINGER_MS})
        self._busy = Producer({**config, "linger.ms": BUSY_LINGER_MS})
        self._producer = self._quiet
        self._rate = RecordRate()
        self._switching: asyncio.Future[None] | None = None
        self._next_switch = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="audio-publisher", daemon=True)

    @property
    def batching(self) -> bool:
        """Whether records are batched now (the process is busy)."""
        return self._producer is self._busy

    def start(self) -> None:
        """Start serving delivery callbacks."""
        self._thread.start()

    async def publish(self, record: audio.AudioRecord) -> None:
        """Hand the record to the producer, keyed by session (waits while its buffer is full)."""
        value, key = audio.encode(record), audio.session_key(record)
        # Shielded: a waiter cancelled (its socket closed) must not cancel the switch.
        while self._switching is not None:  # in publishing order: waiters resume in turn
            await asyncio.shield(self._switching)
        if self._rate.add():  # the mode can only change when the rate does, once a window
            wanted = self._wanted()
            if wanted is not self._producer and time.monotonic() >= self._next_switch:
                self._switching = asyncio.ensure_future(self._switch_to(wanted))
                await asyncio.shield(self._switching)
        while True:
            try:
                self._producer.produce(
                    self.topic, value=value, key=key, on_delivery=self._delivered
                )
                return
            except BufferError:
                await asyncio.sleep(BUFFER_FULL_PAUSE_S)

    def _wanted(self) -> Producer:
        rate = self._rate.per_s
        if rate >= self._quiet_per_s:
            self._quiet_since = None
            return self._busy if rate >= self._busy_per_s else self._producer
        now = time.monotonic()
        if self._quiet_since is None:
            self._quiet_since = now
        return self._quiet if now - self._quiet_since >= self._quiet_hold_s else self._producer

    async def _switch_to(self, producer: Producer) -> None:
        try:
            deadline = time.monotonic() + SWITCH_WAIT_S
            while len(self._producer) > 0:  # records not yet delivered
                if time.monotonic() > deadline:
                    log.warning("audio producer: still delivering, switching later")
                    self._next_switch = time.monotonic() + SWITCH_RETRY_S
                    return
                await asyncio.sleep(0.0005)
            self._producer = producer
            self._metrics.audio_batching.set(int(self.batching))
            log.info(
                "audio records now %s (%.0f a second)",
                "batched" if self.batching else "leave at once",
                self._rate.per_s,
            )
        finally:
            self._switching = None

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._metrics.delivery_failures.inc()
            log.error("audio record for partition %s not delivered: %s", message.partition(), error)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._quiet.poll(POLL_TIMEOUT_S)
            self._busy.poll(POLL_TIMEOUT_S)

    def flush(self, timeout: float) -> int:
        """Deliver what is buffered (blocking, up to `timeout`); the records still undelivered."""
        deadline = time.monotonic() + timeout
        return sum(
            producer.flush(max(deadline - time.monotonic(), 0.0))
            for producer in (self._quiet, self._busy)
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Deliver what is buffered (up to `timeout`), then stop polling."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        remaining = self.flush(timeout)
        if remaining:
            log.error("%d audio records not delivered at shutdown", remaining)
