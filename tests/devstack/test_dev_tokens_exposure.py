"""The development-token endpoint is off unless asked for, and `just up` asks only on loopback."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

import settings
from devstack.stack import COMPOSE_FILE, dev_tokens


@pytest.mark.parametrize(
    ("host", "asked", "wanted"),
    [
        ("127.0.0.1", None, "1"),
        ("localhost", "", "1"),
        ("::1", None, "1"),
        ("0.0.0.0", None, "0"),
        ("192.0.2.10", None, "0"),
        ("::", None, "0"),
        ("127.0.0.1", "0", "0"),  # asked off
        ("0.0.0.0", "1", "1"),  # asked on, knowingly
    ],
)
def test_just_up_turns_dev_tokens_on_for_a_loopback_bind_only(
    host: str, asked: str | None, wanted: str
) -> None:
    assert dev_tokens(host, asked) == wanted


def test_settings_leave_dev_tokens_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEV_TOKENS", raising=False)
    assert settings.load().dev_tokens is False


def test_compose_leaves_dev_tokens_off_and_publishes_on_loopback() -> None:
    ingress = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["ingress"]
    assert ingress["environment"]["DEV_TOKENS"] == "${DEV_TOKENS:-0}"
    assert ingress["ports"] == ["${INGRESS_PUBLISH_HOST:-127.0.0.1}:8080:8080"]


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="Debian's docker-compose")
def test_compose_config_resolves_to_off_and_loopback() -> None:
    env = {"PATH": "/usr/bin:/bin"}
    resolved = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE_FILE), "config"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    ingress = yaml.safe_load(resolved)["services"]["ingress"]
    assert ingress["environment"]["DEV_TOKENS"] == "0"
    assert [p for p in ingress["ports"] if "8080" in str(p)] == ["127.0.0.1:8080:8080/tcp"]
