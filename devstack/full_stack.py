"""The whole service as local processes on free ports: Kafka, Redis, the flow, N ingresses.

For benchmarks and fault drills, which need to kill and restart each part.
The processes run under supervisord exactly as `just up` runs them
(`devstack.supervision`): one that dies is started again by the supervisor.
Everything lives under one work directory and stops with `stop()`.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

import settings
from devstack.ephemeral import CACHE_DIR, log_tail
from devstack.kafka import KafkaBroker, create_topics, fetch_jars
from devstack.prereqs import free_port, http_ok
from devstack.processes import wait_until
from devstack.redis_server import RedisServer
from devstack.supervision import Program, Supervisor


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
            "FLOW_METRICS_PORT": str(free_port()),
            **(env or {}),
        }
        self.cfg = self._settings()
        self.ingress_ports = [free_port() for _ in range(ingresses)]
        self.supervisor = Supervisor(workdir)
        self.flow_metrics_url = f"http://127.0.0.1:{self.env['FLOW_METRICS_PORT']}/metrics"

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

    def _programs(self) -> list[Program]:
        root = settings.ROOT
        programs = [
            Program("kafka", self.broker.command(), self.env, self.workdir),
            Program("redis", self.redis.command(), self.env, self.workdir),
            Program("flow", [sys.executable, "-m", "flows"], self.env, root),
        ]
        for index, port in enumerate(self.ingress_ports):
            argv = [sys.executable, "-m", "ingress", "--bind", f"127.0.0.1:{port}"]
            argv += ["--instance", str(index)]
            env = {**self.env, "INGRESS_INSTANCE": str(index)}
            programs.append(Program(f"ingress-{index}", argv, env, root))
        return programs

    def start(self) -> None:
        """Kafka, Redis, topics, the flow, then the ingresses (each ready before the next)."""
        self.broker.prepare()
        self.supervisor.start(self._programs())
        self.start_kafka()
        self.start_redis()
        create_topics(
            self.broker.bootstrap,
            [self.cfg.topic_audio, self.cfg.topic_results],
            self.cfg.topic_partitions,
        )
        self.start_flow()
        for index in range(len(self.ingress_ports)):
            self.start_ingress(index)

    def start_kafka(self) -> None:
        """Start (or restart: same port, same data) the broker."""
        self.supervisor.start_program("kafka")
        if not self.broker.wait_ready(90):
            raise RuntimeError(f"kafka did not start; see {self.log('kafka')}")

    def start_redis(self) -> None:
        """Start (or restart: same port, append-only file kept) Redis."""
        self.supervisor.start_program("redis")
        if not self.redis.wait_ready():
            raise RuntimeError(f"redis did not start; see {self.log('redis')}")

    def start_flow(self) -> None:
        """Start the flow and wait until it serves its metrics (it has built the dataflow)."""
        self.supervisor.start_program("flow")
        if not self.flow_ready(90):
            raise RuntimeError(f"the flow did not start; see {self.log('flow')}")

    def flow_ready(self, timeout: float) -> bool:
        """Whether the flow answers on its metrics port within `timeout`."""
        return wait_until(lambda: http_ok(self.flow_metrics_url), timeout, interval=0.05)

    def start_ingress(self, index: int) -> None:
        """Start one ingress process as instance `index`."""
        self.supervisor.start_program(f"ingress-{index}")
        if not wait_until(lambda: http_ok(f"{self.ingress_url(index)}/healthz"), 60):
            raise RuntimeError(f"ingress {index} did not start; see {self.log(f'ingress-{index}')}")

    def stop_part(self, name: str) -> None:
        """Stop one program (kafka, redis, flow, ingress-N) until started again."""
        self.supervisor.stop_program(name)

    def pid(self, name: str) -> int | None:
        """A running part's pid."""
        return self.supervisor.pid(name)

    def pids(self) -> dict[str, int]:
        """The running parts' pids, by name."""
        return {state.name: state.pid for state in self.supervisor.states() if state.pid}

    def log(self, name: str) -> Path:
        """A part's log file."""
        return self.supervisor.program_log(name)

    def log_tails(self, lines: int = 30) -> str:
        """The end of the ingresses', the flow's and supervisord's logs, for failure messages."""
        names = [f"ingress-{i}" for i in range(len(self.ingress_ports))] + ["flow"]
        logs = [self.log(name) for name in names] + [self.supervisor.log_file]
        return "\n".join(f"==> {path.name} <==\n{log_tail(path, lines)}" for path in logs)

    def stop(self) -> None:
        """Stop everything that runs, the front first, then supervisord."""
        if not self.supervisor.running():
            return
        for index in range(len(self.ingress_ports)):
            self.supervisor.stop_program(f"ingress-{index}")
        for name in ("flow", "redis", "kafka"):
            self.supervisor.stop_program(name)
        self.supervisor.shutdown()
