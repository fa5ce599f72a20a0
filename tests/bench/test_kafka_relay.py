"""The bare relay behind the two-hop limit, against the test broker."""

from __future__ import annotations

import signal
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition

from bench.kafka_relay import start_relay
from devstack.kafka import create_topics


def test_every_record_is_forwarded_in_order_with_its_key_and_sigterm_stops_it(
    kafka_bootstrap: str,
) -> None:
    source, sink = (f"test.relay.{uuid.uuid4().hex[:8]}" for _ in range(2))
    create_topics(kafka_bootstrap, [source, sink], 1)
    relay = start_relay(kafka_bootstrap, source, sink)
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": "test-relay",
            "enable.auto.commit": False,
        }
    )
    try:
        producer = Producer({"bootstrap.servers": kafka_bootstrap})
        sent = [(f"k{i % 2}".encode(), f"record {i}".encode()) for i in range(10)]
        for key, value in sent:
            producer.produce(source, value=value, key=key)
        producer.flush(10)
        consumer.assign([TopicPartition(sink, 0, 0)])
        received: list[tuple[bytes | None, bytes | None]] = []
        while len(received) < len(sent):
            message = consumer.poll(30)
            assert message is not None, f"relayed only {received}"
            assert message.error() is None
            received.append((message.key(), message.value()))
        assert received == sent
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(15) == 0
    finally:
        consumer.close()
        if relay.poll() is None:
            relay.kill()
