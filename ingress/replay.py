"""Replaying the results a reconnecting client missed.

When a socket registers for a session that had a socket before and the client
says which event it saw last (`last_event_id`), the events routed after that
are on the previous reply partition. A temporary consumer reads them there:

- from the acknowledged cursor when it lies in the previous partition's latest
  stint, else from that stint's start (no event of the stint is older), else
  from the oldest retained message. A cursor left on an older partition is read
  first, up to that partition's `rerouted` marker;
- keeping only this session's events (by key, before parsing), up to the
  flow's `rerouted` marker when the session moved to another partition, or up
  to the offset the live consumer had reached at registration when it did not
  (everything later is delivered live);
- and dropping events up to and including the last one the client saw.

The caller releases these, then the live events held meanwhile; the socket's
id window drops anything seen twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

import settings
from ingress.results_fanout import ResultMessage, is_reroute_marker, parse_result
from state.result_routes import ResultRoute

log = logging.getLogger(__name__)

REPLAY_CONFIG = {
    "enable.auto.commit": "false",
    "auto.offset.reset": "earliest",
    "fetch.wait.max.ms": "100",
    "group.id": "livedub-ingress-replay",  # required by librdkafka; assign() joins no group
}
POLL_TIMEOUT_S = 0.1
POLL_BATCH = 500


@dataclass(frozen=True)
class ReplayHop:
    """One partition to read: from `start` (None: oldest retained), to `until` or the marker."""

    partition: int
    start: int | None
    until: int | None  # stop before this offset; None: stop at the session's `rerouted` marker


def plan_replay(previous: ResultRoute, reply_partition: int, registered_at: int) -> list[ReplayHop]:
    """The partitions to read for a session now registered at `reply_partition`."""
    if previous.partition is None:
        return []
    last = previous.partition
    until = registered_at if last == reply_partition else None
    cursor, stint = previous.cursor, previous.stint_start
    if (
        cursor is not None
        and cursor.partition == last
        and (stint is None or cursor.offset >= stint)
    ):
        return [ReplayHop(last, cursor.offset, until)]
    hops = [] if cursor is None else [ReplayHop(cursor.partition, cursor.offset, None)]
    return [*hops, ReplayHop(last, stint, until)]


def after_last_seen(events: list[ResultMessage], seen: Iterable[str | None]) -> list[ResultMessage]:
    """The events after the last one whose id is in `seen` (all of them if none is)."""
    seen_ids = {event_id for event_id in seen if event_id}
    for index in range(len(events) - 1, -1, -1):
        if events[index].event.id in seen_ids:
            return events[index + 1 :]
    return events


def read_missed(
    cfg: settings.Settings,
    session_id: str,
    hops: list[ReplayHop],
    deadline: float,
    cancelled: threading.Event,
) -> list[ResultMessage]:
    """Read the hops in order (blocking; run it in a thread); stop at `deadline` (monotonic)."""
    key = session_id.encode()
    events: list[ResultMessage] = []
    consumer = Consumer({"bootstrap.servers": cfg.kafka_bootstrap, "logger": log, **REPLAY_CONFIG})
    try:
        for hop in hops:
            if hop.until is not None and hop.start is not None and hop.start >= hop.until:
                continue
            start = OFFSET_BEGINNING if hop.start is None else hop.start
            consumer.assign([TopicPartition(cfg.topic_results, hop.partition, start)])
            done = False
            while not done and time.monotonic() < deadline and not cancelled.is_set():
                for message in consumer.consume(POLL_BATCH, POLL_TIMEOUT_S):
                    offset = message.offset()
                    if message.error() is not None or offset is None:
                        continue
                    if hop.until is not None and offset >= hop.until:
                        done = True
                        break
                    result = parse_result(message) if message.key() == key else None
                    if result is not None and is_reroute_marker(result.event):
                        if hop.until is None:
                            done = True
                            break
                    elif result is not None:
                        events.append(result)
                    if hop.until is not None and offset + 1 >= hop.until:
                        done = True
                        break
            consumer.unassign()
    finally:
        consumer.close()
    return events
