"""Background processes that `up` starts and `down` stops, tracked by pid files.

Each process runs in its own session (process group) so stopping it also stops
its children, and `down` touches only pids that it wrote.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Popen objects of children started by this process: kept so they are reaped, not
# garbage-collected while running (which warns) and not left as zombies.
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class ManagedProcess:
    """A named background process with its pid file and log file under a run directory."""

    name: str
    run_dir: Path

    @property
    def pid_file(self) -> Path:
        """Holds the pid while the process runs."""
        return self.run_dir / "pids" / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        """Its stdout and stderr, appended across restarts."""
        return self.run_dir / "logs" / f"{self.name}.log"

    def pid(self) -> int | None:
        """The pid if the recorded process is alive, else None (and a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if alive(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def start(
        self, argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        """Start the process detached, output appended to its log, and record its pid."""
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                list(argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        _children[proc.pid] = proc
        return proc

    def stop(self, timeout: float = 15.0) -> bool:
        """Stop the process group: SIGTERM, then SIGKILL after the timeout. False if not running."""
        pid = self.pid()
        if pid is None:
            return False
        terminate_group(pid, timeout)
        self.pid_file.unlink(missing_ok=True)
        return True


def terminate_group(pid: int, timeout: float = 15.0) -> None:
    """SIGTERM a process group, wait, then SIGKILL what is left."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        if wait_until(lambda: not alive(pid), timeout):
            break
    child = _children.pop(pid, None)
    if child is not None:
        child.wait(timeout)


def stop_on_sigterm() -> None:
    """SIGTERM ends this tool as Ctrl-C would: its `finally` blocks stop what it started.

    Python's default for SIGTERM is to die at once, which left a killed bench's
    or drill's whole stack (Kafka, Redis, the flow, ingresses) running.
    """

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll until the predicate holds or the timeout passes; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie not yet reaped does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    # A zombie still answers kill(0) until its parent reaps it.
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return status != "Z"
