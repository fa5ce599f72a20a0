"""The ingress hands the GIL to a waiting thread after 0.5 ms, not Python's 5."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from ingress.gil import quick_thread_switches


@pytest.fixture
def switch_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("switch_interval")
def test_a_waiting_thread_gets_the_gil_within_half_a_millisecond() -> None:
    sys.setswitchinterval(0.005)
    quick_thread_switches()
    assert sys.getswitchinterval() == pytest.approx(0.0005)
