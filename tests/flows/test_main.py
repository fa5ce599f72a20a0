"""`python -m flows`: the CPU priority the flow takes before it becomes the Bytewax runner."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import settings

# Runs in a child: a nice value set here would stay with the test run's own thread.
# The child asks for its own nice value plus an offset (the run may itself be niced).
TAKE = """
import os, sys
from flows.__main__ import take_priority
if len(sys.argv) > 2:
    os.setuid(int(sys.argv[2]))  # an unprivileged user, who may not raise its priority
before = os.getpriority(os.PRIO_PROCESS, 0)
print(before, take_priority(before + int(sys.argv[1])))
"""


def _take(offset: int, *as_user: int) -> tuple[int, int, str]:
    done = subprocess.run(
        [sys.executable, "-c", TAKE, str(offset), *map(str, as_user)],
        cwd=settings.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    before, after = map(int, done.stdout.split())
    return before, after, done.stderr


def test_the_flow_takes_the_nice_value_it_is_given() -> None:
    if os.getpriority(os.PRIO_PROCESS, 0) > 16:
        pytest.skip("this run is niced too far to go lower")
    before, after, _ = _take(3)
    assert after == before + 3


def test_a_priority_it_may_not_take_is_a_warning_not_a_failure() -> None:
    if os.getpriority(os.PRIO_PROCESS, 0) < -15:
        pytest.skip("this run is niced too far to go higher")
    before, after, warning = _take(-5, 65534) if os.geteuid() == 0 else _take(-5)
    assert after == before
    assert f"cannot set nice {before - 5}" in warning
