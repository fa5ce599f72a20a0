"""The local stack's processes under supervisord: restarted when they die, each restart logged.

`just up` and the drills' stack (`devstack.full_stack`) run their processes
the same way: one supervisord per run directory, a program per process, started
by us in dependency order (autostart is off, so a dependency is ready before
the next starts). A program that dies is started again at once; one that dies
again within `START_SECONDS` backs off, a second longer each time
(supervisord's BACKOFF), for up to `START_RETRIES` tries. supervisord logs
every exit and spawn to `logs/supervisord.log`; `restarts()` counts them.

Each program is `python -m devstack.exec_program <spec.json>`, which replaces
itself with the program's command and environment (so supervisord's pid is the
program's, and no value needs quoting in supervisord's INI file). Programs
run in their own process group and are stopped as one (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from supervisor.xmlrpc import SupervisorTransport

from devstack.processes import alive, wait_until

START_SECONDS = 2
START_RETRIES = 1000
STOP_WAIT_SECONDS = 15


@dataclass(frozen=True)
class Program:
    """One supervised process: its command, environment and working directory."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None


@dataclass(frozen=True)
class ProgramState:
    """What supervisord says of a program now."""

    name: str
    state: str  # RUNNING, STARTING, BACKOFF, STOPPED, EXITED, FATAL
    pid: int | None
    uptime_s: float | None


class Supervisor:
    """A supervisord for the programs of one run directory."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.config_file = run_dir / "supervisord.conf"
        self.socket = run_dir / "supervisor.sock"
        self.pid_file = run_dir / "pids" / "supervisord.pid"
        self.log_file = run_dir / "logs" / "supervisord.log"
        self.specs = run_dir / "programs"

    def program_log(self, name: str) -> Path:
        """A program's stdout and stderr, appended across restarts."""
        return self.run_dir / "logs" / f"{name}.log"

    # -- the daemon -------------------------------------------------------------

    def running(self) -> bool:
        """Whether this run directory's supervisord answers."""
        if not self.socket.exists():
            return False
        try:
            return bool(self._call("getState")["statename"] == "RUNNING")
        except (OSError, xmlrpc.client.Error):
            return False

    def start(self, programs: Sequence[Program]) -> None:
        """Write the configuration and start supervisord (programs stay stopped)."""
        for folder in (self.specs, self.pid_file.parent, self.log_file.parent):
            folder.mkdir(parents=True, exist_ok=True)
        for program in programs:
            self._write_spec(program)
        self.config_file.write_text(self._config(programs))
        self.socket.unlink(missing_ok=True)
        subprocess.run(
            [sys.executable, "-m", "supervisor.supervisord", "-c", str(self.config_file)],
            check=True,
            stdin=subprocess.DEVNULL,
        )
        if not wait_until(self.running, 20):
            raise RuntimeError(f"supervisord did not start; see {self.log_file}")

    def shutdown(self, timeout: float = 60.0) -> bool:
        """Stop every program, then supervisord itself; False if it was not running."""
        if not self.running():
            return False
        pid = self.daemon_pid()
        self._call("shutdown")
        if pid is not None:
            wait_until(lambda: not alive(pid), timeout)
        return True

    def daemon_pid(self) -> int | None:
        """The pid of supervisord itself."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if alive(pid) else None

    # -- programs ---------------------------------------------------------------

    def start_program(self, name: str) -> None:
        """Start a stopped program and wait until supervisord counts it as running."""
        if self.state(name).state in ("RUNNING", "STARTING"):
            return
        self._call("startProcess", name, True)

    def stop_program(self, name: str) -> None:
        """Stop a program (SIGTERM to its group, SIGKILL after the wait); it stays stopped."""
        if self.state(name).state in ("RUNNING", "STARTING", "BACKOFF"):
            self._call("stopProcess", name, True)

    def state(self, name: str) -> ProgramState:
        """A program's state and pid."""
        return _program_state(self._call("getProcessInfo", name))

    def states(self) -> list[ProgramState]:
        """Every program's state, in configuration order."""
        return [_program_state(info) for info in self._call("getAllProcessInfo")]

    def pid(self, name: str) -> int | None:
        """The program's pid while it runs."""
        return self.state(name).pid

    def restarts(self, name: str) -> int:
        """How often the program died and was started again, from supervisord's log."""
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return 0
        return len(re.findall(rf"exited: {re.escape(name)} \(.*not expected\)", text))

    def wait_respawned(self, name: str, old_pid: int, timeout: float) -> int | None:
        """Wait until the program runs under a pid other than `old_pid`; the new pid."""
        found: list[int] = []

        def respawned() -> bool:
            pid = self.pid(name)
            if pid is not None and pid != old_pid:
                found.append(pid)
                return True
            return False

        return found[-1] if wait_until(respawned, timeout, interval=0.05) else None

    # -- files ------------------------------------------------------------------

    def _write_spec(self, program: Program) -> None:
        spec = self.specs / f"{program.name}.json"
        body = {"argv": list(program.argv), "env": dict(program.env)}
        spec.write_text(json.dumps(body))
        spec.chmod(0o600)  # the environment may hold secrets

    def _config(self, programs: Sequence[Program]) -> str:
        lines = [
            "[unix_http_server]",
            f"file={self.socket}",
            "chmod=0700",
            "",
            "[supervisord]",
            f"logfile={self.log_file}",
            "logfile_maxbytes=10MB",
            "logfile_backups=2",
            f"pidfile={self.pid_file}",
            f"directory={self.run_dir}",
            "nodaemon=false",
            "loglevel=info",
            "",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface",
            "",
        ]
        for program in programs:
            spec = self.specs / f"{program.name}.json"
            lines += [
                f"[program:{program.name}]",
                f"command={sys.executable} -m devstack.exec_program {spec}",
                f"directory={program.cwd or self.run_dir}",
                "autostart=false",
                "autorestart=true",
                f"startsecs={START_SECONDS}",
                f"startretries={START_RETRIES}",
                "stopsignal=TERM",
                f"stopwaitsecs={STOP_WAIT_SECONDS}",
                "stopasgroup=true",
                "killasgroup=true",
                "redirect_stderr=true",
                f"stdout_logfile={self.program_log(program.name)}",
                "stdout_logfile_maxbytes=50MB",
                "stdout_logfile_backups=2",
                "",
            ]
        return "\n".join(lines)

    def _call(self, method: str, *args: Any) -> Any:
        """One call of supervisord's XML-RPC interface over its socket."""
        transport = SupervisorTransport(None, None, f"unix://{self.socket}")
        try:
            proxy = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)
            return getattr(proxy.supervisor, method)(*args)
        finally:
            transport.close()


def _program_state(info: Mapping[str, Any]) -> ProgramState:
    running = info["statename"] in ("RUNNING", "STARTING") and info["pid"]
    uptime = time.time() - info["start"] if running and info["start"] else None
    return ProgramState(
        cast(str, info["name"]),
        cast(str, info["statename"]),
        int(info["pid"]) if running else None,
        uptime,
    )
