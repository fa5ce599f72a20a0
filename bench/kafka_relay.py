"""A bare Kafka relay: each record of one topic produced to another as soon as it arrives.

The pipeline crosses Kafka twice (ingress -> audio topic -> flow -> results
topic -> ingress). This is that shape with nothing in the middle, so two bare
hops through it (`bench.baselines.kafka_trips_ms`) are the limit any design
with those two crossings can reach on the same broker and cores. It produces
with the flow's results producer settings and blocks in `poll` (the flow's
worker never does: it cannot, it has other sessions to run).

    python -m bench.kafka_relay --bootstrap HOST:PORT --source TOPIC --sink TOPIC
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from types import FrameType

from confluent_kafka import Consumer, Producer, TopicPartition

import settings
from flows.__main__ import take_priority
from flows.live import CONSUMER_CONFIG
from flows.results_sink import PRODUCER_CONFIG

POLL_S = 0.1


def relay(bootstrap: str, source: str, sink: str) -> None:
    """Forward partition 0 of `source`, from its beginning, to `sink` until SIGTERM."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "bench-relay",
            "enable.auto.commit": "false",
            **CONSUMER_CONFIG,
        }
    )
    consumer.assign([TopicPartition(source, 0, 0)])
    producer = Producer({"bootstrap.servers": bootstrap, **PRODUCER_CONFIG})
    running = True

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    try:
        while running:
            message = consumer.poll(POLL_S)
            if message is None or message.error():
                continue
            producer.produce(sink, value=message.value(), key=message.key())
            producer.poll(0)
    finally:
        consumer.close()
        producer.flush(5)


def start_relay(bootstrap: str, source: str, sink: str) -> subprocess.Popen[bytes]:
    """`relay` in a process of its own (quiet); terminate it to stop."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "bench.kafka_relay"),
            *("--bootstrap", bootstrap, "--source", source, "--sink", sink),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main(argv: list[str] | None = None) -> None:
    """Parse the topics and relay until terminated."""
    parser = argparse.ArgumentParser(prog="python -m bench.kafka_relay", description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--sink", required=True)
    args = parser.parse_args(argv)
    # The relay plays the flow's part: it runs at the flow's priority, as the flow does.
    take_priority(settings.load().flow_nice)
    relay(args.bootstrap, args.source, args.sink)


if __name__ == "__main__":
    main(sys.argv[1:])
