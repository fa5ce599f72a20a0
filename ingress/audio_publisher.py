"""Publishing audio records to the audio topic: one idempotent producer per process.

`publish` never blocks the event loop: `produce` only queues the record in
librdkafka's buffer, and when that buffer is full (BufferError) it yields and
tries again while the poll thread drains it. A record counts as accepted once
it is in that buffer: librdkafka delivers it (idempotence: in order, without
duplicates, retrying through broker hiccups), and the poll thread runs the
delivery callbacks that count failures.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from confluent_kafka import KafkaError, Message, Producer

import settings
from ingress.metrics import IngressMetrics
from wire import audio

log = logging.getLogger(__name__)

# No linger: a frame leaves at once. Frames of different sockets seldom come
# within a millisecond of each other below a few hundred streams, so a linger
# mostly added its full wait; under load librdkafka still batches whatever
# queued while a request was being sent. The buffer bound makes a stalled
# broker push back (BufferError) instead of growing.
PRODUCER_CONFIG = {
    "enable.idempotence": "true",
    "linger.ms": "0",
    "queue.buffering.max.kbytes": "65536",
    # Only failures need a callback: a Python call per delivered frame costs CPU for nothing.
    "delivery.report.only.error": True,
}
BUFFER_FULL_PAUSE_S = 0.005
POLL_TIMEOUT_S = 0.05


class AudioPublisher:
    """The audio topic's producer and the thread that polls it."""

    def __init__(self, cfg: settings.Settings, metrics: IngressMetrics) -> None:
        self.topic = cfg.topic_audio
        self._metrics = metrics
        self._producer = Producer(
            {"bootstrap.servers": cfg.kafka_bootstrap, "logger": log, **PRODUCER_CONFIG}
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="audio-publisher", daemon=True)

    def start(self) -> None:
        """Start serving delivery callbacks."""
        self._thread.start()

    async def publish(self, record: audio.AudioRecord) -> None:
        """Hand the record to the producer, keyed by session (waits while its buffer is full)."""
        value, key = audio.encode(record), audio.session_key(record)
        while True:
            try:
                self._producer.produce(
                    self.topic, value=value, key=key, on_delivery=self._delivered
                )
                return
            except BufferError:
                await asyncio.sleep(BUFFER_FULL_PAUSE_S)

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._metrics.delivery_failures.inc()
            log.error("audio record for partition %s not delivered: %s", message.partition(), error)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(POLL_TIMEOUT_S)

    def stop(self, timeout: float = 10.0) -> None:
        """Deliver what is buffered (up to `timeout`), then stop polling."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        remaining = self._producer.flush(timeout)
        if remaining:
            log.error("%d audio records not delivered at shutdown", remaining)
