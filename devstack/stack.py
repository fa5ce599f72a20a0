"""The local stack that `just up` runs: Kafka, Redis, the ingress and the flow.

Every process is recorded under `.run/` so that `down` stops exactly these and a
second `up` finds them running instead of starting another broker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import settings
from devstack.kafka import KafkaBroker, create_topics, fetch_jars
from devstack.prereqs import MissingPrerequisite, require_command, require_free_port
from devstack.processes import ManagedProcess, wait_until
from devstack.redis_server import RedisServer
from ingress.client_address import is_loopback

ROOT = settings.ROOT
RUN_DIR = ROOT / ".run"
CACHE_DIR = ROOT / ".cache"
COMPOSE_FILE = ROOT / "docker" / "compose.yaml"
COMPOSE_INGRESS = "http://127.0.0.1:8080"  # the port compose.yaml publishes


@dataclass(frozen=True)
class Service:
    """One process of the stack: how to start it and how to know it is ready."""

    name: str
    port: int
    start: Callable[[ManagedProcess], None]
    ready: Callable[[], bool]
    url: str


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def dev_tokens(host: str, asked: str | None) -> str:
    """DEV_TOKENS for the local ingress: what was asked for, else on for a loopback bind only.

    The demo page's "Get a development token" needs the endpoint, which mints
    tokens for anyone who reaches it.
    """
    return asked or ("1" if is_loopback(host) else "0")


def services(cfg: settings.Settings) -> list[Service]:
    """The stack in start order; each one's dependencies come before it."""
    kafka_port = int(cfg.kafka_bootstrap.rsplit(":", 1)[1])
    redis_port = urlparse(cfg.redis_url).port or 6379
    broker = KafkaBroker(
        home=RUN_DIR / "kafka",
        port=kafka_port,
        controller_port=int(os.environ.get("KAFKA_CONTROLLER_PORT", kafka_port + 1)),
        libs=fetch_jars(CACHE_DIR),
    )
    redis = RedisServer(home=RUN_DIR / "redis", port=redis_port)
    child_env = {**os.environ, "KAFKA_BOOTSTRAP": broker.bootstrap, "REDIS_URL": redis.url}
    ingress_env = {
        **child_env,
        "DEV_TOKENS": dev_tokens(cfg.ingress_host, os.environ.get("DEV_TOKENS")),
    }
    health = f"http://{cfg.ingress_host}:{cfg.ingress_port}/healthz"

    def start_kafka(proc: ManagedProcess) -> None:
        broker.start(proc)

    def start_ingress(proc: ManagedProcess) -> None:
        proc.start(
            [sys.executable, "-m", "ingress", "--bind", f"{cfg.ingress_host}:{cfg.ingress_port}"],
            env=ingress_env,
            cwd=ROOT,
        )

    def start_flow(proc: ManagedProcess) -> None:
        proc.start([sys.executable, "-m", "flows"], env=child_env, cwd=ROOT)

    stack = [
        Service("kafka", kafka_port, start_kafka, broker.wait_ready, f"kafka://{broker.bootstrap}"),
        Service("redis", redis_port, redis.start, redis.wait_ready, redis.url),
        Service(
            "ingress",
            cfg.ingress_port,
            start_ingress,
            lambda: wait_until(lambda: _http_ok(health), 60),
            f"http://{cfg.ingress_host}:{cfg.ingress_port}",
        ),
    ]
    if (ROOT / "flows" / "__main__.py").exists():
        stack.append(Service("flow", 0, start_flow, lambda: True, "(no port)"))
    return stack


def docker_engine_answers() -> bool:
    """True where a Docker engine runs and compose is available (then compose runs the stack)."""
    if os.environ.get("LIVEDUB_NO_DOCKER") or shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True)
    compose = subprocess.run(["docker", "compose", "version"], capture_output=True)
    return probe.returncode == 0 and compose.returncode == 0


def up() -> int:
    """Start whatever is not running yet; print URLs and log paths."""
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
    stack = services(cfg)
    for service in stack:
        proc = ManagedProcess(service.name, RUN_DIR)
        if proc.pid() is not None:
            print(f"{service.name:8} already running (pid {proc.pid()})")
            continue
        if service.port:
            require_free_port(service.port, service.name)
        service.start(proc)
        if not service.ready():
            print(f"{service.name} did not become ready; see {proc.log_file}", file=sys.stderr)
            return 1
        if service.name == "kafka":
            create_topics(
                cfg.kafka_bootstrap, [cfg.topic_audio, cfg.topic_results], cfg.topic_partitions
            )
        print(f"{service.name:8} started  (pid {proc.pid()})")
    print()
    status()
    return 0


def down() -> int:
    """Stop, in reverse order, the processes that `up` recorded, and nothing else."""
    if docker_engine_answers():
        return subprocess.call(["docker", "compose", "-f", str(COMPOSE_FILE), "down"])
    names = ["flow", "ingress", "redis", "kafka"]
    for name in names:
        if ManagedProcess(name, RUN_DIR).stop():
            print(f"{name:8} stopped")
    return 0


def status() -> int:
    """One line a service: running or not, where it listens, where its log is."""
    cfg = settings.load()
    try:
        stack = services(cfg)
    except MissingPrerequisite as exc:
        print(exc)
        return 1
    for service in stack:
        proc = ManagedProcess(service.name, RUN_DIR)
        pid = proc.pid()
        state = f"running (pid {pid})" if pid else "stopped"
        print(f"{service.name:8} {state:22} {service.url:34} log: {proc.log_file}")
    if ManagedProcess("ingress", RUN_DIR).pid():
        base = f"http://{cfg.ingress_host}:{cfg.ingress_port}"
        print(f"\nhealth: {base}/healthz   ready: {base}/readyz")
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


def logs(name: str | None, lines: int) -> int:
    """Print the tail of one service's log, or of all of them."""
    paths = sorted((RUN_DIR / "logs").glob("*.log"))
    if name:
        paths = [p for p in paths if p.stem == name]
    if not paths:
        print(f"no logs under {RUN_DIR / 'logs'}")
        return 1
    for path in paths:
        print(f"==> {path} <==")
        print("\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
    return 0
