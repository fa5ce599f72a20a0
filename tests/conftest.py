"""One real Kafka broker and one real Redis per test run, shared by every test.

Set LIVEDUB_TEST_KAFKA_BOOTSTRAP / LIVEDUB_TEST_REDIS_URL to use running servers
instead; otherwise they start here on free ports and stop at the end.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import settings
from devstack.kafka import KafkaBroker, create_topics, fetch_jars
from devstack.prereqs import free_port
from devstack.processes import ManagedProcess
from devstack.redis_server import RedisServer

CACHE_DIR = settings.ROOT / ".cache"


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if bootstrap := os.environ.get("LIVEDUB_TEST_KAFKA_BOOTSTRAP"):
        yield bootstrap
        return
    home = tmp_path_factory.mktemp("kafka")
    broker = KafkaBroker(
        home=home, port=free_port(), controller_port=free_port(), libs=fetch_jars(CACHE_DIR)
    )
    proc = ManagedProcess("kafka", home)
    broker.start(proc)
    try:
        if not broker.wait_ready(90):
            raise RuntimeError("test broker did not start:\n" + _tail(proc.log_file))
        yield broker.bootstrap
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("LIVEDUB_TEST_REDIS_URL"):
        yield url
        return
    home = tmp_path_factory.mktemp("redis")
    server = RedisServer(home=home, port=free_port())
    proc = ManagedProcess("redis", home)
    server.start(proc)
    try:
        if not server.wait_ready():
            raise RuntimeError("test redis did not start:\n" + _tail(proc.log_file))
        yield server.url
    finally:
        proc.stop()


@pytest.fixture
def cfg(kafka_bootstrap: str, redis_url: str, tmp_path: Path) -> settings.Settings:
    """Settings pointing at the shared servers, with topics of this test's own."""
    suffix = uuid.uuid4().hex[:10]
    cfg = dataclasses.replace(
        settings.load(),
        kafka_bootstrap=kafka_bootstrap,
        redis_url=redis_url,
        topic_audio=f"test.audio.{suffix}",
        topic_results=f"test.results.{suffix}",
        topic_partitions=3,
        recovery_dir=str(tmp_path / "recovery"),
    )
    create_topics(kafka_bootstrap, [cfg.topic_audio, cfg.topic_results], cfg.topic_partitions)
    return cfg


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
