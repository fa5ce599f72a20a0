"""Redis 7 as a local process: Debian's redis-server on a port of our own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from devstack.prereqs import port_accepts, require_command
from devstack.processes import ManagedProcess, wait_until


@dataclass(frozen=True)
class RedisServer:
    """One redis-server bound to 127.0.0.1, with its working directory under `home`."""

    home: Path
    port: int

    @property
    def url(self) -> str:
        """redis:// URL for clients."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, process: ManagedProcess) -> None:
        """Start in the foreground of its own process group (no daemonize, so we own the pid)."""
        process.start(self.command())

    def command(self) -> list[str]:
        """redis-server in the foreground on our port, data under `home` (created now)."""
        self.home.mkdir(parents=True, exist_ok=True)
        return [
            require_command("redis-server"),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.home),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
        ]

    def wait_ready(self, timeout: float = 20.0) -> bool:
        """Ready when the port accepts connections."""
        return wait_until(lambda: port_accepts(self.port), timeout)
