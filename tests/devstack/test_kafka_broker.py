"""The test broker is a real Kafka: produce, consume in a group, commit, resume from the commit."""

from __future__ import annotations

import uuid

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

import settings


def _consume(bootstrap: str, topic: str, group: str, count: int) -> list[bytes]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    values: list[bytes] = []
    try:
        for _ in range(200):
            msg = consumer.poll(0.5)
            if msg is None:
                if len(values) >= count:
                    break
                continue
            if msg.error():
                raise KafkaException(msg.error())
            values.append(msg.value())
            if len(values) == count:
                consumer.commit(asynchronous=False)
                break
    finally:
        consumer.close()
    return values


def test_produce_consume_with_committed_offsets(cfg: settings.Settings) -> None:
    producer = Producer({"bootstrap.servers": cfg.kafka_bootstrap, "enable.idempotence": True})
    for i in range(10):
        producer.produce(cfg.topic_audio, key=b"session-1", value=f"frame-{i}".encode())
    assert producer.flush(10) == 0

    group = f"g-{uuid.uuid4().hex[:8]}"
    first = _consume(cfg.kafka_bootstrap, cfg.topic_audio, group, 10)
    assert first == [f"frame-{i}".encode() for i in range(10)]  # one key, one partition, in order

    for i in range(10, 13):
        producer.produce(cfg.topic_audio, key=b"session-1", value=f"frame-{i}".encode())
    assert producer.flush(10) == 0
    # The same group resumes after its committed offset: only the new records arrive.
    second = _consume(cfg.kafka_bootstrap, cfg.topic_audio, group, 3)
    assert second == [b"frame-10", b"frame-11", b"frame-12"]

    checker = Consumer({"bootstrap.servers": cfg.kafka_bootstrap, "group.id": group})
    try:
        committed = checker.committed(
            [TopicPartition(cfg.topic_audio, p) for p in range(cfg.topic_partitions)], timeout=10
        )
    finally:
        checker.close()
    assert sum(tp.offset for tp in committed if tp.offset >= 0) == 13


def test_topics_have_configured_partitions(cfg: settings.Settings) -> None:
    metadata = AdminClient({"bootstrap.servers": cfg.kafka_bootstrap}).list_topics(timeout=10)
    for topic in (cfg.topic_audio, cfg.topic_results):
        assert len(metadata.topics[topic].partitions) == cfg.topic_partitions
