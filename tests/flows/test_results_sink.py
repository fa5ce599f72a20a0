"""The results sink: events leave without waiting, and an epoch's snapshot waits for all of them."""

from __future__ import annotations

import uuid

import pytest

import settings
from devstack.kafka_io import ResultReader
from flows.results_sink import PART, ResultsNotDelivered, ResultsSink
from wire.events import ResultEvent, event_id


def _events(session: str, count: int) -> list[tuple[int | None, ResultEvent]]:
    return [
        (
            1,
            ResultEvent(
                type="transcript",
                id=event_id(session, segment, "transcript"),
                session_id=session,
                segment=segment,
                data=f"line {segment}",
            ),
        )
        for segment in range(count)
    ]


def test_snapshot_returns_once_every_event_is_on_its_partition(cfg: settings.Settings) -> None:
    part = ResultsSink(cfg.kafka_bootstrap, cfg.topic_results).build_part("out", PART, None)
    session = f"s-{uuid.uuid4().hex[:8]}"
    part.write_batch(_events(session, 20))
    part.snapshot()
    reader = ResultReader(cfg.kafka_bootstrap, cfg.topic_results)
    try:
        events = reader.read_until(lambda got: len(got) >= 20, timeout=30)
    finally:
        reader.close()
    assert [e.segment for e in events] == list(range(20))  # one partition: in order
    part.close()


def test_an_undelivered_event_fails_the_snapshot(cfg: settings.Settings) -> None:
    # A topic that does not exist (and is not auto-created): the broker never takes them.
    sink = ResultsSink(
        cfg.kafka_bootstrap, f"missing.{uuid.uuid4().hex[:8]}", {"message.timeout.ms": "1500"}
    )
    part = sink.build_part("out", PART, None)
    part.write_batch(_events("s-missing", 2))  # accepted into the buffer without waiting
    with pytest.raises(ResultsNotDelivered):
        part.snapshot()
