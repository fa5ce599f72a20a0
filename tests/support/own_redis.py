"""A Redis of a test's own, which the test stops and starts again (outages)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.prereqs import free_port
from devstack.processes import ManagedProcess
from devstack.redis_server import RedisServer


class OwnRedis:
    """redis-server on a free port under `home`; `stop()` and `start()` keep its data."""

    def __init__(self, home: Path) -> None:
        self.server = RedisServer(home / "redis", free_port())
        self.process = ManagedProcess("redis", home)
        self.url = self.server.url

    def start(self) -> None:
        """Start (again): same port, its append-only file read back."""
        self.server.start(self.process)
        assert self.server.wait_ready(), "redis-server did not start"

    def stop(self) -> None:
        """Stop it as an outage would: the port refuses connections until `start`."""
        self.process.stop()


@contextmanager
def own_redis(home: Path) -> Iterator[OwnRedis]:
    """A started Redis of the caller's own, stopped at the end."""
    redis = OwnRedis(home)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()
