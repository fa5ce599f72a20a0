"""A throwaway Kafka broker and Redis on free ports, for tests and tools (replays, drills)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.kafka import KafkaBroker, fetch_jars
from devstack.prereqs import free_port
from devstack.processes import ManagedProcess
from devstack.redis_server import RedisServer
from settings import ROOT

CACHE_DIR = ROOT / ".cache"


def log_tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log, for failure messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


@contextmanager
def kafka_broker(home: Path) -> Iterator[str]:
    """Start a single-node broker under `home`; yield its bootstrap address; stop it."""
    broker = KafkaBroker(
        home=home, port=free_port(), controller_port=free_port(), libs=fetch_jars(CACHE_DIR)
    )
    proc = ManagedProcess("kafka", home)
    broker.start(proc)
    try:
        if not broker.wait_ready(90):
            raise RuntimeError("Kafka broker did not start:\n" + log_tail(proc.log_file))
        yield broker.bootstrap
    finally:
        proc.stop()


@contextmanager
def redis_server(home: Path) -> Iterator[str]:
    """Start redis-server under `home`; yield its URL; stop it."""
    server = RedisServer(home=home, port=free_port())
    proc = ManagedProcess("redis", home)
    server.start(proc)
    try:
        if not server.wait_ready():
            raise RuntimeError("redis-server did not start:\n" + log_tail(proc.log_file))
        yield server.url
    finally:
        proc.stop()
