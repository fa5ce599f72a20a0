"""Frames read back from the audio topic by position, to restore segmenter snapshots.

The audio a segmenter holds (the open utterance, the VAD history) is audio the
flow already read from the audio topic, which keeps it for a day. Snapshots
name those frames by (partition, offset) instead of copying them: copied, they
were megabytes per snapshot at a hundred sessions, written while the worker
waited. A restore reads them back here. Restores come one session after
another, and a partition's sessions need overlapping stretches of it, so each
stretch is fetched once and its frames wait here until their session asks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from confluent_kafka import Consumer, KafkaError, TopicPartition

from wire import audio

log = logging.getLogger(__name__)

Position = tuple[int, int]

FETCH_BATCH = 1000
READ_TIMEOUT_S = 30.0


class AudioLog:
    """The audio topic as a store of frames addressed by (partition, offset)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._lock = threading.Lock()  # each worker thread restores its own sessions
        self._fetched: dict[int, tuple[int, int]] = {}  # partition -> offsets read, inclusive
        self._frames: dict[Position, audio.AudioFrame] = {}
        self._consumer: Consumer | None = None  # open while restores go on

    def frames_at(
        self, session_id: str, positions: Sequence[Position]
    ) -> list[audio.AudioFrame] | None:
        """The session's frames at `positions`, in that order; None if any is gone or not its."""
        wanted: dict[int, list[int]] = {}
        for partition, offset in positions:
            wanted.setdefault(partition, []).append(offset)
        with self._lock:
            for partition, offsets in wanted.items():
                self._cover(partition, min(offsets), max(offsets))
            found = [self._frames.pop(position, None) for position in positions]
        frames = [f for f in found if f is not None and f.session_id == session_id]
        return frames if len(frames) == len(positions) else None

    def forget(self) -> None:
        """Drop the frames no restore claimed (the flow is running: restores are over)."""
        with self._lock:
            self._fetched.clear()
            self._frames.clear()
            if self._consumer is not None:
                self._consumer.close()
                self._consumer = None

    def _cover(self, partition: int, low: int, high: int) -> None:
        """Fetch whatever of offsets low..high this partition has not had yet."""
        done = self._fetched.get(partition)
        if done is None:
            self._fetch(partition, low, high)
            self._fetched[partition] = (low, high)
            return
        if low < done[0]:
            self._fetch(partition, low, done[0] - 1)
        if high > done[1]:
            self._fetch(partition, done[1] + 1, high)
        self._fetched[partition] = (min(low, done[0]), max(high, done[1]))

    def _fetch(self, partition: int, low: int, high: int) -> None:
        log.info("audio log: reading partition %d offsets %d..%d to restore", partition, low, high)
        if self._consumer is None:
            self._consumer = Consumer(
                {
                    "bootstrap.servers": self._bootstrap,
                    "group.id": "livedub-flow-restore",  # required by librdkafka; nothing committed
                    "enable.auto.commit": "false",
                    "auto.offset.reset": "earliest",  # expired frames are simply not found
                    "enable.partition.eof": "true",
                    # A fetch left waiting at a partition's end holds up the next assign.
                    "fetch.wait.max.ms": "10",
                }
            )
        self._consumer.assign([TopicPartition(self._topic, partition, low)])
        deadline = time.monotonic() + READ_TIMEOUT_S
        wanted = low
        while time.monotonic() < deadline:
            # Ask for exactly what is left: `consume` returns once it has that many.
            for message in self._consumer.consume(min(FETCH_BATCH, high - wanted + 1), 1.0):
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        return
                    log.warning("audio log: partition %d: %s", partition, error)
                    continue
                offset = message.offset()
                if offset is None or offset > high:
                    return
                self._keep(partition, offset, message.value())
                if offset == high:
                    return
                wanted = offset + 1
        log.error("audio log: partition %d offsets %d..%d not read in time", partition, low, high)

    def _keep(self, partition: int, offset: int, value: bytes | None) -> None:
        try:
            record = audio.decode(value or b"", (partition, offset))
        except audio.RecordError:
            return
        if isinstance(record, audio.AudioFrame):
            self._frames[(partition, offset)] = record
