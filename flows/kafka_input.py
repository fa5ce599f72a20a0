"""The audio topic as a Bytewax source that never blocks the worker.

Bytewax's own KafkaSource asks each partition's consumer for a batch with a
1 ms wait; with a dozen partitions that is a dozen milliseconds of waiting per
round, on every frame's path. Here each partition takes what its consumer has
already fetched (no wait) and, when that is nothing, asks to be woken a moment
later, so Bytewax parks the worker instead of sleeping in librdkafka.
Offsets are the snapshot state, as in Bytewax's source.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bytewax.connectors.kafka import KafkaError, KafkaSourceMessage
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from flows.decode import RawMessage

IDLE_WAKE = timedelta(milliseconds=2)


class _AudioPartition(StatefulSourcePartition[RawMessage, int]):
    def __init__(
        self, config: dict[str, Any], topic: str, partition: int, offset: int, batch_size: int
    ) -> None:
        self._consumer = Consumer(config)
        self._consumer.assign([TopicPartition(topic, partition, offset)])
        self._offset = offset
        self._batch_size = batch_size
        self._awake: datetime | None = None

    def next_batch(self) -> list[RawMessage]:
        messages = self._consumer.consume(self._batch_size, 0)
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
        self._consumer.close()


class AudioTopicSource(FixedPartitionedSource[RawMessage, int]):
    """Every partition of one topic; resumes each from its snapshotted offset."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        config: dict[str, str] | None = None,
        batch_size: int = 500,
    ) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._config = config or {}
        self._batch_size = batch_size

    def list_parts(self) -> list[str]:
        """One source partition per topic partition, named like Bytewax's: `<n>-<topic>`."""
        admin = AdminClient({"bootstrap.servers": self._bootstrap})
        topic = admin.list_topics(self._topic, timeout=30).topics[self._topic]
        if topic.error is not None:
            raise RuntimeError(f"audio topic {self._topic!r}: {topic.error}")
        return [f"{p}-{self._topic}" for p in sorted(topic.partitions)]

    def build_part(self, step_id: str, for_part: str, resume_state: int | None) -> _AudioPartition:
        """A consumer for the partition, from the beginning or the snapshot's offset."""
        partition = int(for_part.split("-", 1)[0])
        config = {
            "bootstrap.servers": self._bootstrap,
            "group.id": "livedub-flow",  # required by librdkafka; offsets live in snapshots
            "enable.auto.commit": "false",
            **self._config,
        }
        offset = OFFSET_BEGINNING if resume_state is None else resume_state
        return _AudioPartition(config, self._topic, partition, offset, self._batch_size)
