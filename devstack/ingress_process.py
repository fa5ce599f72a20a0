"""A real ingress (`python -m ingress`) as a process on given Kafka and Redis."""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import settings
from devstack.ephemeral import log_tail
from devstack.prereqs import free_port
from devstack.processes import ManagedProcess, wait_until


def ingress_healthy(base_url: str) -> bool:
    """True when the ingress at http://host:port answers /healthz."""
    try:
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def served_ingress(
    cfg: settings.Settings, workdir: Path, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Serve an ingress on cfg's servers and topics on a free port; yield its base URL."""
    port = free_port()
    proc = ManagedProcess("ingress", workdir)
    proc.start(
        [sys.executable, "-m", "ingress", "--bind", f"127.0.0.1:{port}"],
        env={
            **os.environ,
            "KAFKA_BOOTSTRAP": cfg.kafka_bootstrap,
            "REDIS_URL": cfg.redis_url,
            "TOPIC_AUDIO": cfg.topic_audio,
            "TOPIC_RESULTS": cfg.topic_results,
            "TOPIC_PARTITIONS": str(cfg.topic_partitions),
            **(env or {}),
        },
        cwd=settings.ROOT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until(lambda: ingress_healthy(base_url), 60):
            raise RuntimeError("the ingress did not start:\n" + log_tail(proc.log_file))
        yield base_url
    finally:
        proc.stop()
