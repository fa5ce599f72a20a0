"""Checks that turn a missing tool or a taken port into one clear line."""

from __future__ import annotations

import shutil
import socket
import urllib.request


class MissingPrerequisite(RuntimeError):
    """Something the local stack needs is not there; the message says how to get it."""


HINTS = {
    "java": "Java 17+ is needed for the Kafka broker: apt-get install openjdk-17-jre-headless",
    "mvn": "Maven fetches the Kafka broker's jars: apt-get install maven",
    "redis-server": "Redis 7 is needed: apt-get install redis-server",
}


def require_command(name: str) -> str:
    """Return the command's path, or raise with the line that says how to install it."""
    path = shutil.which(name)
    if path is None:
        raise MissingPrerequisite(f"missing '{name}': {HINTS.get(name, 'install it first')}")
    return path


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on the port (we try to bind it, then let go)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def require_free_port(port: int, what: str) -> None:
    """Raise with one line if another program holds the port."""
    if not port_is_free(port):
        raise MissingPrerequisite(
            f"port {port} for {what} is taken by another program: stop it, "
            f"or choose another port in .env"
        )


def free_port() -> int:
    """A port nothing listens on now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_accepts(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """Whether a listener accepts a TCP connection on the port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_ok(url: str) -> bool:
    """Whether a GET of the URL answers 200 within a second."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False
