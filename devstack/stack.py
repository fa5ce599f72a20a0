"""The local stack that `just up` runs: Kafka, Redis, the ingress and the flow, supervised.

Every process is a program of one supervisord (`devstack.supervision`) under
`.run/` (LIVEDUB_RUN_DIR): a process that dies is started again with a
backoff and each restart is logged to `.run/logs/supervisord.log`; `down`
stops exactly these and supervisord; a second `up` finds them running
instead of starting another broker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import settings
from devstack.kafka import KafkaBroker, create_topics, fetch_jars
from devstack.prereqs import (
    MissingPrerequisite,
    http_ok,
    require_command,
    require_free_port,
)
from devstack.processes import ManagedProcess, wait_until
from devstack.redis_server import RedisServer
from devstack.supervision import Program, Supervisor
from ingress.client_address import is_loopback

ROOT = settings.ROOT
RUN_DIR = Path(os.environ.get("LIVEDUB_RUN_DIR") or ROOT / ".run")
CACHE_DIR = ROOT / ".cache"
COMPOSE_FILE = ROOT / "docker" / "compose.yaml"
COMPOSE_INGRESS = "http://127.0.0.1:8080"  # the port compose.yaml publishes
NAMES = ("kafka", "redis", "ingress", "flow")


@dataclass(frozen=True)
class Service:
    """One process of the stack: its program, how to know it is ready, where it listens."""

    program: Program
    port: int
    ready: Callable[[], bool]
    url: str
    prepare: Callable[[], None] = lambda: None

    @property
    def name(self) -> str:
        """The program's name."""
        return self.program.name


def dev_tokens(host: str, asked: str | None) -> str:
    """DEV_TOKENS for the local ingress: what was asked for, else on for a loopback bind only.

    The demo page's "Get a development token" needs the endpoint, which mints
    tokens for anyone who reaches it.
    """
    return asked or ("1" if is_loopback(host) else "0")


def services(cfg: settings.Settings, run_dir: Path = RUN_DIR) -> list[Service]:
    """The stack in start order; each one's dependencies come before it."""
    kafka_port = int(cfg.kafka_bootstrap.rsplit(":", 1)[1])
    redis_port = urlparse(cfg.redis_url).port or 6379
    broker = KafkaBroker(
        home=run_dir / "kafka",
        port=kafka_port,
        controller_port=int(os.environ.get("KAFKA_CONTROLLER_PORT", kafka_port + 1)),
        libs=fetch_jars(CACHE_DIR),
    )
    redis = RedisServer(home=run_dir / "redis", port=redis_port)
    child_env = {**os.environ, "KAFKA_BOOTSTRAP": broker.bootstrap, "REDIS_URL": redis.url}
    ingress_env = {
        **child_env,
        "DEV_TOKENS": dev_tokens(cfg.ingress_host, os.environ.get("DEV_TOKENS")),
    }
    flow_env = {**child_env, "RECOVERY_DIR": cfg.recovery_dir}
    if "RECOVERY_DIR" not in os.environ:
        flow_env["RECOVERY_DIR"] = str(run_dir / "recovery")
    health = f"http://{cfg.ingress_host}:{cfg.ingress_port}/healthz"
    python = sys.executable
    bind = f"{cfg.ingress_host}:{cfg.ingress_port}"
    metrics = f"http://{cfg.flow_metrics_host}:{cfg.flow_metrics_port}/metrics"
    stack = [
        Service(
            Program("kafka", broker.command(), child_env, run_dir),
            kafka_port,
            broker.wait_ready,
            f"kafka://{broker.bootstrap}",
            broker.prepare,
        ),
        Service(
            Program("redis", redis.command(), child_env, run_dir),
            redis_port,
            redis.wait_ready,
            redis.url,
        ),
        Service(
            Program("ingress", [python, "-m", "ingress", "--bind", bind], ingress_env, ROOT),
            cfg.ingress_port,
            lambda: wait_until(lambda: http_ok(health), 60),
            f"http://{bind}",
        ),
        Service(
            Program("flow", [python, "-m", "flows"], flow_env, ROOT),
            cfg.flow_metrics_port,
            lambda: cfg.flow_metrics_port <= 0 or wait_until(lambda: http_ok(metrics), 90),
            metrics if cfg.flow_metrics_port > 0 else "(no metrics port)",
        ),
    ]
    return stack


def docker_engine_answers() -> bool:
    """True where a Docker engine runs and compose is available (then compose runs the stack)."""
    if os.environ.get("LIVEDUB_NO_DOCKER") or shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True)
    compose = subprocess.run(["docker", "compose", "version"], capture_output=True)
    return probe.returncode == 0 and compose.returncode == 0


def up(run_dir: Path = RUN_DIR) -> int:
    """Start whatever is not running yet, under supervisord; print URLs and log paths."""
    if docker_engine_answers():
        print(f"Docker engine found: docker compose -f {COMPOSE_FILE} up -d --build")
        code = subprocess.call(
            ["docker", "compose", "-f", str(COMPOSE_FILE), "up", "-d", "--build"]
        )
        if code == 0:
            print(demo_line(settings.load(), COMPOSE_INGRESS))
        return code
    cfg = settings.load()
    require_command("java")
    require_command("redis-server")
    stack = services(cfg, run_dir)
    supervisor = Supervisor(run_dir)
    if supervisor.running():
        print(f"supervisord already running (pid {supervisor.daemon_pid()})")
    else:
        for service in stack:
            if service.port > 0:
                require_free_port(service.port, service.name)
        supervisor.start([service.program for service in stack])
        print(f"supervisord started  (pid {supervisor.daemon_pid()}), log: {supervisor.log_file}")
    for service in stack:
        state = supervisor.state(service.name)
        if state.pid is not None:
            print(f"{service.name:8} already running (pid {state.pid})")
            continue
        service.prepare()
        supervisor.start_program(service.name)
        if not service.ready():
            log = supervisor.program_log(service.name)
            print(f"{service.name} did not become ready; see {log}", file=sys.stderr)
            return 1
        if service.name == "kafka":
            create_topics(
                cfg.kafka_bootstrap, [cfg.topic_audio, cfg.topic_results], cfg.topic_partitions
            )
        print(f"{service.name:8} started  (pid {supervisor.pid(service.name)})")
    print()
    status(run_dir)
    return 0


def down(run_dir: Path = RUN_DIR) -> int:
    """Stop what `up` started (its programs, then supervisord), and nothing else."""
    if docker_engine_answers():
        return subprocess.call(["docker", "compose", "-f", str(COMPOSE_FILE), "down"])
    supervisor = Supervisor(run_dir)
    if supervisor.running():
        for name in reversed(NAMES):  # the front first, the broker last
            supervisor.stop_program(name)
            print(f"{name:8} stopped")
        supervisor.shutdown()
        print("supervisord stopped")
    for name in reversed(NAMES):  # processes an unsupervised `up` of older versions recorded
        if ManagedProcess(name, run_dir).stop():
            print(f"{name:8} stopped")
    return 0


def status(run_dir: Path = RUN_DIR) -> int:
    """One line a service: running or not (and its restarts), where it listens, its log."""
    cfg = settings.load()
    try:
        stack = services(cfg, run_dir)
    except MissingPrerequisite as exc:
        print(exc)
        return 1
    supervisor = Supervisor(run_dir)
    if not supervisor.running():
        for service in stack:
            print(f"{service.name:8} {'stopped':30} {service.url}")
        return 0
    print(f"supervisord running (pid {supervisor.daemon_pid()}), log: {supervisor.log_file}")
    for service in stack:
        state = supervisor.state(service.name)
        restarts = supervisor.restarts(service.name)
        if state.pid is not None:
            running = f"running (pid {state.pid}, {restarts} restarts)"
        else:
            running = state.state.lower()
        log = supervisor.program_log(service.name)
        print(f"{service.name:8} {running:30} {service.url:34} log: {log}")
    if supervisor.pid("ingress"):
        base = f"http://{cfg.ingress_host}:{cfg.ingress_port}"
        print(f"\nhealth: {base}/healthz   ready: {base}/readyz   metrics: {base}/metrics")
        print(demo_line(cfg, base))
    return 0


def demo_line(cfg: settings.Settings, base: str) -> str:
    """Where a newcomer starts: the demo page, or how to build it."""
    if not (Path(cfg.demo_dir) / "index.html").is_file():
        return f"demo:   not built ({cfg.demo_dir}): run `just ext-build` (Node.js 20+)"
    return (
        f"demo:   {base}/demo/   <- start here: get a development token, "
        "then stream a file or the microphone"
    )


def logs(name: str | None, lines: int, run_dir: Path = RUN_DIR) -> int:
    """Print the tail of one service's log (or supervisord's: its restarts), or of all of them."""
    paths = sorted((run_dir / "logs").glob("*.log"))
    if name:
        paths = [p for p in paths if p.stem == name]
    if not paths:
        print(f"no logs under {run_dir / 'logs'}")
        return 1
    for path in paths:
        print(f"==> {path} <==")
        print("\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
    return 0
