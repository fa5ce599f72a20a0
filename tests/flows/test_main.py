"""`python -m flows`: the CPU priority the flow takes before it becomes the Bytewax runner."""

from __future__ import annotations

import os
import subprocess
import sys

import settings

# Runs in a child: a nice value set here would stay with the test run's own thread.
TAKE = """
import os, sys
from flows.__main__ import take_priority
if len(sys.argv) > 2:
    os.setuid(int(sys.argv[2]))  # an unprivileged user, who may not raise its priority
print(os.getpriority(os.PRIO_PROCESS, 0), take_priority(int(sys.argv[1])))
"""


def _take(nice: int, *as_user: int) -> tuple[int, int, str]:
    done = subprocess.run(
        [sys.executable, "-c", TAKE, str(nice), *map(str, as_user)],
        cwd=settings.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    before, after = map(int, done.stdout.split())
    return before, after, done.stderr


def test_the_flow_takes_the_nice_value_it_is_given() -> None:
    current = os.getpriority(os.PRIO_PROCESS, 0)
    lower = min(current + 3, 19)
    assert _take(lower)[1] == lower


def test_a_priority_it_may_not_take_is_a_warning_not_a_failure() -> None:
    if os.geteuid() == 0:
        before, after, warning = _take(-10, 65534)  # as nobody
    else:
        before, after, warning = _take(-10)
    assert after == before
    assert "cannot set nice -10" in warning
