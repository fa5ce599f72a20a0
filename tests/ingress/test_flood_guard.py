"""Flood protection: FACTOR x real time per user stream, with a burst; reconnects get no new one."""

from __future__ import annotations

import settings
from bench.clients import RESEND_MS
from ingress.flood_guard import FloodGuard


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_twice_real_time_is_sustainable_and_more_is_not() -> None:
    clock = Clock()
    guard = FloodGuard(factor=2.0, burst_seconds=1.0, clock=clock)
    guard.open("u")
    assert guard.allow("u", 1000)  # the burst
    assert not guard.allow("u", 125)
    for _ in range(100):  # 125 ms of audio every 62.5 ms: exactly 2x real time
        clock.now += 0.0625
        assert guard.allow("u", 125)
    clock.now += 0.0625
    assert guard.allow("u", 100)
    assert not guard.allow("u", 100)  # a little faster than 2x runs dry


def test_each_stream_of_a_user_adds_its_rate_and_burst() -> None:
    clock = Clock()
    guard = FloodGuard(factor=2.0, burst_seconds=2.0, clock=clock)
    guard.open("u")
    guard.open("u")
    assert guard.allow("u", 2000)
    assert not guard.allow("u", 1)
    clock.now += 1.0
    assert guard.allow("u", 4000)
    assert not guard.allow("u", 1)
    assert not guard.allow("someone-else", 1)


def test_reconnecting_does_not_buy_a_fresh_burst() -> None:
    clock = Clock()
    guard = FloodGuard(factor=2.0, burst_seconds=1.0, clock=clock)
    guard.open("u")
    assert guard.allow("u", 1000)
    guard.close("u")
    assert not guard.allow("u", 1)  # no stream open
    guard.open("u")
    assert not guard.allow("u", 100)
    clock.now += 10
    guard.close("u")
    guard.open("v")  # forgets u's bucket: refilled, it is the same as new
    guard.open("u")
    assert guard.allow("u", 1000)


def test_a_reconnects_resend_fits_the_default_burst_even_on_the_same_process() -> None:
    cfg = settings.load()
    clock = Clock()
    guard = FloodGuard(cfg.ws_flood_factor, cfg.ws_flood_burst_seconds, clock=clock)
    guard.open("u")
    for _ in range(600):  # a minute of live audio, 100 ms frames in real time
        clock.now += 0.1
        assert guard.allow("u", 100)
    guard.close("u")
    clock.now += 0.25  # the client's first reconnect delay
    guard.open("u")
    for _ in range(RESEND_MS // 100):  # the last seconds again, at once
        assert guard.allow("u", 100)
    for _ in range(600):  # and live audio goes on
        clock.now += 0.1
        assert guard.allow("u", 100)
