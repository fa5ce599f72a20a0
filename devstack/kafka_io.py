"""Producing audio records and reading result events on a real broker (tests, replays, drills)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable

from confluent_kafka import Consumer, Producer

from wire import audio
from wire.events import ResultEvent, from_json


def produce_records(bootstrap: str, topic: str, records: Iterable[audio.AudioRecord]) -> None:
    """Publish records keyed by session, as the ingress does."""
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for record in records:
        producer.produce(topic, audio.encode(record), key=audio.session_key(record))
    assert producer.flush(20) == 0


class ResultReader:
    """Reads the results topic from the beginning, keeping every event in order."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"test-{uuid.uuid4().hex[:8]}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        self._consumer.subscribe([topic])
        self.events: list[ResultEvent] = []

    def read_until(
        self,
        done: Callable[[list[ResultEvent]], bool],
        timeout: float = 60.0,
        check: Callable[[], None] = lambda: None,
    ) -> list[ResultEvent]:
        """Poll until `done(events)` holds; fail after the timeout with what arrived.

        `check` runs between polls (e.g. to fail fast when the flow died).
        """
        deadline = time.monotonic() + timeout
        while not done(self.events):
            check()
            if time.monotonic() > deadline:
                kinds = [(e.type, e.segment, e.status) for e in self.events]
                raise TimeoutError(f"timed out; events so far: {kinds}")
            msg = self._consumer.poll(0.2)
            if msg is not None and not msg.error() and (value := msg.value()) is not None:
                self.events.append(from_json(value))
        return self.events

    def close(self) -> None:
        """Leave the group."""
        self._consumer.close()


def ended(session_id: str) -> Callable[[list[ResultEvent]], bool]:
    """A `read_until` condition: the session's `ended` status arrived."""
    return lambda events: any(e.session_id == session_id and e.status == "ended" for e in events)
