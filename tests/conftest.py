"""One real Kafka broker and one real Redis per test run, shared by every test.

Set LIVEDUB_TEST_KAFKA_BOOTSTRAP / LIVEDUB_TEST_REDIS_URL to use running servers
instead; otherwise they start here on free ports and stop at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import settings
from devstack.ephemeral import kafka_broker, redis_server
from devstack.flow_process import FlowProcess
from devstack.kafka import isolated_settings
from devstack.kafka_io import ResultReader


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if bootstrap := os.environ.get("LIVEDUB_TEST_KAFKA_BOOTSTRAP"):
        yield bootstrap
        return
    with kafka_broker(tmp_path_factory.mktemp("kafka")) as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("LIVEDUB_TEST_REDIS_URL"):
        yield url
        return
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def cfg(kafka_bootstrap: str, redis_url: str, tmp_path: Path) -> settings.Settings:
    """Settings pointing at the shared servers, with topics of this test's own."""
    return isolated_settings(kafka_bootstrap, redis_url, "test", tmp_path / "recovery", 3)


@pytest.fixture
def flow(cfg: settings.Settings, tmp_path: Path) -> Iterator[FlowProcess]:
    """The live flow (`python -m flows`) on this test's topics, stopped at the end."""
    # Snapshots every second: a restart in a test replays little.
    process = FlowProcess(cfg, tmp_path / "flow.log", {"SNAPSHOT_INTERVAL_SECONDS": "1"})
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def results(cfg: settings.Settings) -> Iterator[ResultReader]:
    """Every event on this test's results topic, from the beginning."""
    reader = ResultReader(cfg.kafka_bootstrap, cfg.topic_results)
    try:
        yield reader
    finally:
        reader.close()
