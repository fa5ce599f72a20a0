"""The compose stack restarts what dies and knows when each service is healthy."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import yaml

import settings

COMPOSE = settings.ROOT / "docker" / "compose.yaml"
LONG_RUNNING = ("kafka", "redis", "ingress", "flow")


def _services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


def test_every_long_running_service_restarts_and_has_a_healthcheck() -> None:
    services = _services()
    for name in LONG_RUNNING:
        assert services[name]["restart"] == "unless-stopped", name
        assert services[name]["healthcheck"]["test"], name
    assert services["kafka-topics"]["restart"] == "on-failure"  # a one-shot job


def test_the_flows_healthcheck_asks_the_port_its_metrics_are_served_on() -> None:
    flow = _services()["flow"]
    port = flow["environment"]["FLOW_METRICS_PORT"]
    assert f":{port}/metrics" in " ".join(flow["healthcheck"]["test"])
    assert flow["environment"]["FLOW_METRICS_HOST"] == "0.0.0.0"


def test_docker_compose_accepts_the_file() -> None:
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("no docker-compose here (apt-get install docker-compose validates the file)")
    done = subprocess.run(
        [tool, "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
