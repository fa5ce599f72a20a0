"""`just up` supervises what it starts: a SIGKILLed flow is back within 5 s, nothing is lost.

The real `python -m devstack up` runs on free ports in a run directory of the
test's own (LIVEDUB_RUN_DIR), with the no-op speech providers; `down` must
then stop exactly what it started.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import settings
from bench.clients import stream
from bench.speech_plan import looped_plan, speech_block
from devstack.prereqs import free_port, http_ok
from devstack.processes import alive
from devstack.supervision import Supervisor
from drills.__main__ import received_ids
from ingress.dev_token import mint_dev_token

BACK_WITHIN_S = 5.0


@pytest.fixture
def up(tmp_path: Path) -> Iterator[tuple[dict[str, str], Supervisor]]:
    kafka = free_port()
    env = {
        **os.environ,
        "LIVEDUB_RUN_DIR": str(tmp_path / "run"),
        "LIVEDUB_NO_DOCKER": "1",
        "KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka}",
        "KAFKA_CONTROLLER_PORT": str(free_port()),
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "INGRESS_PORT": str(free_port()),
        "FLOW_METRICS_PORT": str(free_port()),
        "STT_PROVIDER": "noop",
        "TRANSLATION_PROVIDER": "noop",
        "TTS_PROVIDER": "noop",
        "SOURCE_LANGUAGES": "he,en",
        "SNAPSHOT_INTERVAL_SECONDS": "1",
    }
    started = _devstack("up", env, 240)
    supervisor = Supervisor(tmp_path / "run")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        yield env, supervisor
    finally:
        pids = [state.pid for state in supervisor.states()] if supervisor.running() else []
        daemon = supervisor.daemon_pid()
        stopped = _devstack("down", env, 120)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert "supervisord stopped" in stopped.stdout
        assert not any(pid and alive(pid) for pid in [*pids, daemon])


def _devstack(
    command: str, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", command],
        env=env,
        cwd=settings.ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_sigkilled_flow_is_back_within_5_s_and_no_result_is_lost(
    up: tuple[dict[str, str], Supervisor],
) -> None:
    env, supervisor = up
    url = f"http://127.0.0.1:{env['INGRESS_PORT']}"
    cfg = settings.load()
    plan = looped_plan(speech_block(cfg), 12, target_language="en")
    token = mint_dev_token(cfg, "supervised", "premium")
    control = asyncio.run(stream(url, token, plan, end_timeout_s=60))
    expected = received_ids(control)
    assert expected and control.ended

    flow = supervisor.pid("flow")
    assert flow is not None
    back_s: list[float] = []

    async def kill_mid_stream() -> None:
        await asyncio.sleep(4)
        killed = time.monotonic()
        os.kill(flow, signal.SIGKILL)
        metrics = f"http://127.0.0.1:{env['FLOW_METRICS_PORT']}/metrics"
        while not await asyncio.to_thread(http_ok, metrics):
            await asyncio.sleep(0.05)
        back_s.append(time.monotonic() - killed)

    async def both() -> list[str]:
        viewer = asyncio.create_task(stream(url, token, plan, end_timeout_s=90, reconnects=5))
        await kill_mid_stream()
        return received_ids(await viewer)

    received = asyncio.run(both())
    assert back_s[0] <= BACK_WITHIN_S, back_s
    assert supervisor.pid("flow") not in (None, flow)
    assert supervisor.restarts("flow") == 1
    assert sorted(received) == sorted(expected)  # nothing lost, nothing twice
    status = _devstack("status", env, 60).stdout
    assert "flow     running" in status and "1 restarts" in status
    assert "exited: flow (terminated by SIGKILL" in supervisor.log_file.read_text()
