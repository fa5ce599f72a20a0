"""A tool killed with SIGTERM still stops what it started."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import settings

TOOL = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from devstack.processes import stop_on_sigterm

    stop_on_sigterm()
    marker = Path(sys.argv[1])
    try:
        marker.write_text("started")
        time.sleep(60)
    finally:
        marker.write_text("stopped what it started")
    """
)


def test_sigterm_runs_the_tools_finally_blocks(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    tool = subprocess.Popen([sys.executable, "-c", TOOL, str(marker)], cwd=settings.ROOT)
    try:
        for _ in range(200):
            if marker.exists():
                break
            time.sleep(0.05)
        tool.send_signal(signal.SIGTERM)
        assert tool.wait(10) == 128 + signal.SIGTERM
    finally:
        tool.kill()
    assert marker.read_text() == "stopped what it started"
