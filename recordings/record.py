"""`just record --out FILE`: capture live sessions' audio records and result events.

Reads the audio and results topics from now on (or from their beginning) and
keeps the sessions whose start record it sees, until they have all ended or
the time is up.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, TopicPartition

import settings
from recordings.file_format import RecordedMessage, Stream, write
from wire import audio
from wire.events import EventError, from_json


def _assign_all(consumer: Consumer, topics: list[str], offset: int) -> None:
    metadata = consumer.list_topics(timeout=10)
    consumer.assign(
        [
            TopicPartition(topic, partition, offset)
            for topic in topics
            for partition in metadata.topics[topic].partitions
        ]
    )


def record(
    cfg: settings.Settings, seconds: float, from_beginning: bool = False, quiet_s: float = 3.0
) -> tuple[set[str], list[RecordedMessage]]:
    """Collect the sessions that start in the window, until all have ended (or time is up)."""
    consumer = Consumer(
        {
            "bootstrap.servers": cfg.kafka_bootstrap,
            "group.id": "livedub-recorder",
            "enable.auto.commit": False,
        }
    )
    stream_of: dict[str, Stream] = {cfg.topic_audio: "audio", cfg.topic_results: "results"}
    _assign_all(consumer, list(stream_of), OFFSET_BEGINNING if from_beginning else OFFSET_END)
    started: set[str] = set()
    finished: set[str] = set()
    messages: list[RecordedMessage] = []
    deadline = time.monotonic() + seconds
    last_seen = time.monotonic()
    try:
        while time.monotonic() < deadline:
            if started and started <= finished and time.monotonic() - last_seen > quiet_s:
                break
            msg = consumer.poll(0.2)
            if msg is None or msg.error():
                continue
            raw_key, value, topic = msg.key(), msg.value(), msg.topic()
            if raw_key is None or value is None or topic is None:
                continue
            last_seen = time.monotonic()
            key = raw_key.decode(errors="replace")
            stream = stream_of[topic]
            if stream == "audio" and _is_start(value):
                started.add(key)
            if key not in started:
                continue
            if stream == "results" and _is_ended(value):
                finished.add(key)
            messages.append(RecordedMessage(stream, key, value, msg.timestamp()[1]))
    finally:
        consumer.close()
    return started, messages


def _is_start(value: bytes) -> bool:
    try:
        return isinstance(audio.decode(value), audio.StartRecord)
    except audio.RecordError:
        return False


def _is_ended(value: bytes) -> bool:
    try:
        event = from_json(value)
    except EventError:
        return False
    return event.type == "status" and event.status == "ended"


def main(argv: list[str] | None = None) -> int:
    """Record to --out; print what was captured."""
    parser = argparse.ArgumentParser(prog="just record", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="recording file (.jsonl.gz)")
    parser.add_argument("--seconds", type=float, default=300.0, help="stop after this long")
    parser.add_argument(
        "--from-beginning",
        action="store_true",
        help="read the topics from their start instead of from now",
    )
    args = parser.parse_args(argv)
    print(f"recording sessions that start in the next {args.seconds:.0f}s (Ctrl-C stops)...")
    try:
        sessions, messages = record(settings.load(), args.seconds, args.from_beginning)
    except KeyboardInterrupt:
        return 130
    if not sessions:
        print("livedub: no session started while recording", file=sys.stderr)
        return 1
    write(args.out, sessions, messages)
    print(f"wrote {args.out}: {len(sessions)} sessions, {len(messages)} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
