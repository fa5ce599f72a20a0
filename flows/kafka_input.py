"""The audio topic as a Bytewax source that never blocks the worker.

Bytewax's own KafkaSource gives each partition a consumer of its own and asks
it for a batch with a 1 ms wait: a dozen partitions make a dozen milliseconds
of waiting per round on every frame's path, and a dozen fetch streams for the
broker to serve. Here the partitions a worker reads share one consumer (one
fetch stream), each takes what has already been fetched (no wait), and when
that is nothing asks to be woken a moment later, so Bytewax parks the worker
instead of sleeping in librdkafka. Offsets are the snapshot state, one per
partition, as in Bytewax's source.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bytewax.connectors.kafka import KafkaError, KafkaSourceMessage
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition
from confluent_kafka.admin import AdminClient

from flows.decode import RawMessage
from flows.metrics import METRICS

log = logging.getLogger(__name__)

IDLE_WAKE = timedelta(milliseconds=1)
BACKLOG_EVERY_S = 1.0
# Each worker's consumer's backlog, summed into the process's gauge.
_backlogs: dict[int, int] = {}
_backlogs_lock = threading.Lock()


class WorkerConsumer:
    """One consumer for every audio partition a worker reads; messages sorted per partition."""

    def __init__(self, config: dict[str, Any], batch_size: int) -> None:
        self._consumer = Consumer(config)
        self._batch_size = batch_size
        self._fetched: dict[int, list[Message]] = {}
        self._topic = ""
        self._backlog_at = 0.0

    def add(self, topic: str, partition: int, offset: int) -> None:
        """Start reading `partition` at `offset`."""
        self._topic = topic
        self._fetched[partition] = []
        self._consumer.incremental_assign([TopicPartition(topic, partition, offset)])

    def take(self, partition: int) -> list[Message]:
        """The partition's messages fetched so far (fetching more, without waiting, if none)."""
        if not self._fetched[partition]:
            self._fetch()
        taken, self._fetched[partition] = self._fetched[partition], []
        return taken

    def _fetch(self) -> None:
        for message in self._consumer.consume(self._batch_size, 0):
            partition = message.partition()
            if partition in self._fetched:
                self._fetched[partition].append(message)
            else:  # a client-wide error (broker down, ...): librdkafka retries by itself
                log.warning("audio consumer: %s", message.error())
        now = time.monotonic()
        if now - self._backlog_at >= BACKLOG_EVERY_S:
            self._backlog_at = now
            self._note_backlog()

    def _note_backlog(self) -> None:
        """Records fetched but not taken, and not fetched yet (from the last fetch's answer)."""
        backlog = sum(len(messages) for messages in self._fetched.values())
        parts = [TopicPartition(self._topic, p) for p in self._fetched]
        for part in self._consumer.position(parts):
            _low, high = self._consumer.get_watermark_offsets(part, cached=True)
            if part.offset >= 0 and high >= part.offset:
                backlog += high - part.offset
        with _backlogs_lock:
            _backlogs[id(self)] = backlog
            METRICS.audio_backlog.set(sum(_backlogs.values()))

    def remove(self, topic: str, partition: int) -> bool:
        """Stop reading `partition`; True when no partition is left (the consumer is closed)."""
        self._consumer.incremental_unassign([TopicPartition(topic, partition)])
        del self._fetched[partition]
        if self._fetched:
            return False
        with _backlogs_lock:
            _backlogs.pop(id(self), None)
        self._consumer.close()
        return True


class _AudioPartition(StatefulSourcePartition[RawMessage, int]):
    def __init__(self, source: AudioTopicSource, partition: int, offset: int) -> None:
        self._source = source
        self._partition = partition
        self._offset = offset
        self._awake: datetime | None = None
        self._consumer = source.worker_consumer()
        self._consumer.add(source.topic, partition, offset)

    def next_batch(self) -> list[RawMessage]:
        messages = self._consumer.take(self._partition)
        if not messages:
            self._awake = datetime.now(UTC) + IDLE_WAKE
            return []
        self._awake = None
        batch: list[RawMessage] = []
        for msg in messages:
            wrapped = KafkaSourceMessage(
                key=msg.key(),
                value=msg.value(),
                topic=msg.topic(),
                headers=[],
                latency=msg.latency(),
                offset=msg.offset(),
                partition=msg.partition(),
                timestamp=msg.timestamp(),
            )
            error = msg.error()
            batch.append(wrapped if error is None else KafkaError(error, wrapped))
            offset = msg.offset()
            if offset is not None and offset >= 0:
                self._offset = offset + 1
        return batch

    def next_awake(self) -> datetime | None:
        return self._awake

    def snapshot(self) -> int:
        return self._offset

    def close(self) -> None:
        self._source.release(self._partition)


class AudioTopicSource(FixedPartitionedSource[RawMessage, int]):
    """Every partition of one topic; resumes each from its snapshotted offset."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        config: dict[str, str] | None = None,
        batch_size: int = 500,
    ) -> None:
        self.topic = topic
        self._bootstrap = bootstrap
        self._config = config or {}
        self._batch_size = batch_size
        self._local = threading.local()  # Bytewax builds and runs each part on its worker's thread

    def list_parts(self) -> list[str]:
        """One source partition per topic partition, named like Bytewax's: `<n>-<topic>`."""
        admin = AdminClient({"bootstrap.servers": self._bootstrap})
        topic = admin.list_topics(self.topic, timeout=30).topics[self.topic]
        if topic.error is not None:
            raise RuntimeError(f"audio topic {self.topic!r}: {topic.error}")
        return [f"{p}-{self.topic}" for p in sorted(topic.partitions)]

    def build_part(self, step_id: str, for_part: str, resume_state: int | None) -> _AudioPartition:
        """Read the partition from the beginning or the snapshot's offset."""
        partition = int(for_part.split("-", 1)[0])
        offset = OFFSET_BEGINNING if resume_state is None else resume_state
        return _AudioPartition(self, partition, offset)

    def worker_consumer(self) -> WorkerConsumer:
        """The calling worker's consumer, created with its first partition."""
        consumer: WorkerConsumer | None = getattr(self._local, "consumer", None)
        if consumer is None:
            config = {
                "bootstrap.servers": self._bootstrap,
                "group.id": "livedub-flow",  # required by librdkafka; offsets live in snapshots
                "enable.auto.commit": "false",
                **self._config,
            }
            consumer = WorkerConsumer(config, self._batch_size)
            self._local.consumer = consumer
        return consumer

    def release(self, partition: int) -> None:
        """A part is closed: drop its partition, and the consumer with the last one."""
        consumer: WorkerConsumer = self._local.consumer
        if consumer.remove(self.topic, partition):
            self._local.consumer = None
