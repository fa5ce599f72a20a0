"""The live flow as a process (`python -m flows`), started, killed and restarted by tools."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import settings
from devstack.prereqs import free_port
from flows.__main__ import process_id


class FlowProcess:
    """`python -m flows [ARGS]` with the caller's topics, Redis and recovery directory."""

    def __init__(
        self,
        cfg: settings.Settings,
        log: Path,
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
    ) -> None:
        self.cfg = cfg
        self.log = log
        self.args = args
        metrics_port = free_port()
        self.env = {
            **os.environ,
            "KAFKA_BOOTSTRAP": cfg.kafka_bootstrap,
            "REDIS_URL": cfg.redis_url,
            "TOPIC_AUDIO": cfg.topic_audio,
            "TOPIC_RESULTS": cfg.topic_results,
            "RECOVERY_DIR": cfg.recovery_dir,
            # Process N of a cluster serves on FLOW_METRICS_PORT + N: that sum is the free port.
            "FLOW_METRICS_PORT": str(metrics_port - process_id(list(args))),
            **(env or {}),
        }
        served = int(self.env["FLOW_METRICS_PORT"]) + process_id(list(args))
        self.metrics_url = f"http://127.0.0.1:{served}/metrics"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start (or restart: recovery resumes from the last snapshot)."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "flows", *self.args],
                env=self.env,
                cwd=settings.ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: no chance to flush or snapshot."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        """Stop if running (test teardown)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def check_running(self) -> None:
        """Fail at once, with the log, if the process has exited."""
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"flow exited with {self.proc.returncode}:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        """The end of its log, for failure messages."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
