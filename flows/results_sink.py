"""The results topic as a Bytewax sink that never waits for the broker on the event path.

Each event is handed to an idempotent producer (no linger: it leaves at once)
and the worker goes on. The wait for the broker's acknowledgements happens
where it matters for correctness, at the end of each epoch, just before its
snapshot: a snapshot never covers an event that is not on the topic, and a
delivery failure stops the flow (it resumes from the previous snapshot and
produces the epoch again, with the same event ids) instead of being skipped.
"""

from __future__ import annotations

import logging
from typing import Any

from bytewax.outputs import FixedPartitionedSink, StatefulSinkPartition
from confluent_kafka import KafkaError, Message, Producer

from flows.finish import Routed
from flows.metrics import METRICS

log = logging.getLogger(__name__)

PRODUCER_CONFIG = {"linger.ms": "0", "enable.idempotence": "true", "compression.type": "lz4"}
BUFFER_FULL_WAIT_S = 0.05
# The one sink partition: every worker's events go out through one producer.
PART = "results"


class ResultsNotDelivered(RuntimeError):
    """The broker refused events of this epoch: stopping beats a snapshot past them."""


class _ResultsPartition(StatefulSinkPartition[Routed, None]):
    def __init__(self, producer: Producer, topic: str) -> None:
        self._producer = producer
        self._topic = topic
        self._failure: KafkaError | None = None

    def write_batch(self, values: list[Routed]) -> None:
        for partition, event in values:
            METRICS.event_out(event)
            kwargs: dict[str, Any] = {} if partition is None else {"partition": partition}
            value, key = event.to_json(), event.session_id.encode()
            while True:
                try:
                    self._producer.produce(
                        self._topic, value=value, key=key, on_delivery=self._delivered, **kwargs
                    )
                    break
                except BufferError:  # the broker is behind: let it catch up
                    self._producer.poll(BUFFER_FULL_WAIT_S)
        self._producer.poll(0)  # acknowledgements so far, without waiting

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        if error is not None and self._failure is None:
            self._failure = error

    def snapshot(self) -> None:
        """Everything written this epoch is acknowledged before the epoch's snapshot."""
        self._producer.flush()
        if self._failure is not None:
            raise ResultsNotDelivered(f"result events not delivered: {self._failure}")

    def close(self) -> None:
        self._producer.flush()


class ResultsSink(FixedPartitionedSink[Routed, None]):
    """Produces each event to the partition its session's route names (or by key)."""

    def __init__(self, bootstrap: str, topic: str, config: dict[str, str] | None = None) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._config = {**PRODUCER_CONFIG, **(config or {})}

    def list_parts(self) -> list[str]:
        """A single part (Bytewax runs it on one worker)."""
        return [PART]

    def build_part(self, step_id: str, for_part: str, resume_state: None) -> _ResultsPartition:
        """An idempotent producer; nothing to resume (events carry their own ids)."""
        producer = Producer({"bootstrap.servers": self._bootstrap, **self._config})
        return _ResultsPartition(producer, self._topic)
