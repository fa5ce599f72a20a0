"""The bench's Kafka limits, measured on the test broker."""

from __future__ import annotations

import subprocess
import uuid
from typing import Any

import pytest

from bench import baselines
from devstack.kafka import create_topics


def test_two_hops_time_every_record_through_the_relay_and_stop_it(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[subprocess.Popen[Any]] = []

    class Recorded(subprocess.Popen[Any]):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr("bench.kafka_relay.subprocess.Popen", Recorded)
    [latencies] = baselines.kafka_trips_ms(kafka_bootstrap, (2,), count=20, interval_s=0)
    assert len(latencies) == 20
    assert all(latency > 0 for latency in latencies)
    [relay] = started
    assert relay.poll() is not None  # no relay left behind


def test_one_probe_times_both_routes_in_turn(kafka_bootstrap: str) -> None:
    one_hop, two_hops = baselines.kafka_trips_ms(kafka_bootstrap, (1, 2), count=10, interval_s=0)
    assert len(one_hop) == len(two_hops) == 10


def test_a_record_that_never_comes_back_is_an_error_not_a_hang(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(baselines, "WARM_UP_S", 2.0)
    there, back = (f"test.rtt.{uuid.uuid4().hex[:8]}" for _ in range(2))  # nothing relays
    create_topics(kafka_bootstrap, [there, back], 1)
    with pytest.raises(RuntimeError, match="did not come back"):
        baselines._round_trips(kafka_bootstrap, [(there, back)], 5, 0.0, 0.0, None)


def test_a_window_bounds_the_trips_however_many_are_asked_for(kafka_bootstrap: str) -> None:
    latencies = baselines.kafka_round_trip_ms(
        kafka_bootstrap, count=1_000_000, interval_s=0.01, within_s=0.5
    )
    # A record every 10 ms or more, in the half second after the call: far fewer than
    # asked for (none at all if the fresh topic's first record took longer than that).
    assert len(latencies) <= 50


def test_only_one_hop_or_two(kafka_bootstrap: str) -> None:
    with pytest.raises(ValueError, match="one hop or two"):
        baselines.kafka_trips_ms(kafka_bootstrap, (1, 3), count=1)
