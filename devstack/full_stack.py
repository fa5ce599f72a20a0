"""The whole service as local processes on free ports: Kafka, Redis, the flow, N ingresses.

For benchmarks and fault drills, which need to kill and restart each part:
everything lives under one work directory and stops with `stop()`.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

import settings
from devstack.ephemeral import CACHE_DIR, log_tail
from devstack.flow_process import FlowProcess
from devstack.ingress_process import ingress_healthy
from devstack.kafka import KafkaBroker, create_topics, fetch_jars
from devstack.prereqs import free_port
from devstack.processes import ManagedProcess, wait_until
from devstack.redis_server import RedisServer


class FullStack:
    """Start with `start()`; every part can be stopped and started again on its own."""

    def __init__(self, workdir: Path, ingresses: int = 1, env: Mapping[str, str] | None = None):
        self.workdir = workdir
        self.broker = KafkaBroker(
            workdir / "kafka", free_port(), free_port(), fetch_jars(CACHE_DIR)
        )
        self.redis = RedisServer(workdir / "redis", free_port())
        suffix = uuid.uuid4().hex[:8]
        self.env = {
            **os.environ,
            "KAFKA_BOOTSTRAP": self.broker.bootstrap,
            "REDIS_URL": self.redis.url,
            "TOPIC_AUDIO": f"stack.audio.{suffix}",
            "TOPIC_RESULTS": f"stack.results.{suffix}",
            "RECOVERY_DIR": str(workdir / "recovery"),
            "INGRESS_INSTANCES": str(ingresses),
            **(env or {}),
        }
        self.cfg = self._settings()
        self.ingress_ports = [free_port() for _ in range(ingresses)]
        self.kafka_proc = ManagedProcess("kafka", workdir)
        self.redis_proc = ManagedProcess("redis", workdir)
        self.ingress_procs = [ManagedProcess(f"ingress-{i}", workdir) for i in range(ingresses)]
        self.flow = FlowProcess(self.cfg, workdir / "logs" / "flow.log", self.env)

    def _settings(self) -> settings.Settings:
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            return settings.load()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def ingress_url(self, index: int = 0) -> str:
        """http://host:port of one ingress."""
        return f"http://127.0.0.1:{self.ingress_ports[index]}"

    def start(self) -> None:
        """Kafka, Redis, topics, the flow, then the ingresses (each ready before the next)."""
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        self.start_kafka()
        self.start_redis()
        create_topics(
            self.broker.bootstrap,
            [self.cfg.topic_audio, self.cfg.topic_results],
            self.cfg.topic_partitions,
        )
        self.flow.start()
        for index in range(len(self.ingress_procs)):
            self.start_ingress(index)

    def start_kafka(self) -> None:
        """Start (or restart: same port, same data) the broker."""
        self.broker.start(self.kafka_proc)
        if not self.broker.wait_ready(90):
            raise RuntimeError(f"kafka did not start; see {self.kafka_proc.log_file}")

    def start_redis(self) -> None:
        """Start (or restart: same port, append-only file kept) Redis."""
        self.redis.start(self.redis_proc)
        if not self.redis.wait_ready():
            raise RuntimeError(f"redis did not start; see {self.redis_proc.log_file}")

    def start_ingress(self, index: int) -> None:
        """Start one ingress process as instance `index`."""
        proc = self.ingress_procs[index]
        proc.start(
            [
                sys.executable,
                "-m",
                "ingress",
                "--bind",
                f"127.0.0.1:{self.ingress_ports[index]}",
                "--instance",
                str(index),
            ],
            env={**self.env, "INGRESS_INSTANCE": str(index)},
            cwd=settings.ROOT,
        )
        if not wait_until(lambda: ingress_healthy(self.ingress_url(index)), 60):
            raise RuntimeError(f"ingress {index} did not start; see {proc.log_file}")

    def pids(self) -> dict[str, int]:
        """The running parts' pids, by name."""
        named = {"kafka": self.kafka_proc.pid(), "redis": self.redis_proc.pid()}
        named["flow"] = self.flow.proc.pid if self.flow.proc else None
        for i, proc in enumerate(self.ingress_procs):
            named[f"ingress-{i}"] = proc.pid()
        return {name: pid for name, pid in named.items() if pid}

    def log_tails(self, lines: int = 30) -> str:
        """The end of the ingresses' and the flow's logs, for failure messages."""
        logs = [proc.log_file for proc in self.ingress_procs] + [self.flow.log]
        return "\n".join(f"==> {path.name} <==\n{log_tail(path, lines)}" for path in logs)

    def stop(self) -> None:
        """Stop everything that runs, the front first."""
        for proc in self.ingress_procs:
            proc.stop()
        self.flow.stop()
        self.redis_proc.stop()
        self.kafka_proc.stop()
