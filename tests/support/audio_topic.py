"""Audio records put on a topic and read back with their positions, as the flow reads them."""

from __future__ import annotations

import uuid

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from devstack.kafka_io import produce_records
from wire import audio


def published(
    bootstrap: str, topic: str, records: list[audio.AudioRecord]
) -> list[audio.AudioRecord]:
    """Publish `records`, then read every record of the topic back, positions included."""
    produce_records(bootstrap, topic, records)
    partitions = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic).topics[topic]
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions.partitions])
    back: list[audio.AudioRecord] = []
    at_end: set[int] = set()
    while len(at_end) < len(partitions.partitions):
        for message in consumer.consume(500, 5.0):
            if message.error() is not None:
                at_end.add(message.partition())
            else:
                position = (message.partition(), message.offset())
                back.append(audio.decode(message.value(), position))
    consumer.close()
    return back
