"""The retry policy: retryable errors are retried, never past the call's budget."""

from __future__ import annotations

import asyncio

import pytest

from providers.base import ProviderError
from providers.retries import RetryPolicy, with_retries
from wire.errors import ErrorCode


async def test_a_wait_longer_than_the_budget_fails_at_once_with_retry_after() -> None:
    calls = 0

    async def limited() -> None:
        nonlocal calls
        calls += 1
        raise ProviderError(ErrorCode.PROVIDER_RATE_LIMITED, "slow down", retry_after=30)

    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(ProviderError) as raised:
        await with_retries(limited, RetryPolicy(), budget=2.0, what="test")
    assert calls == 1 and loop.time() - started < 0.1
    assert raised.value.retry_after == 30


async def test_errors_that_cannot_pass_are_not_retried() -> None:
    calls = 0

    async def refused() -> None:
        nonlocal calls
        calls += 1
        raise ProviderError(ErrorCode.PROVIDER_AUTH, "bad key")

    with pytest.raises(ProviderError):
        await with_retries(refused, RetryPolicy(initial_delay=0.01), budget=2.0, what="test")
    assert calls == 1


def test_backoff_doubles_up_to_the_maximum_unless_the_provider_says() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=2.0)
    error = ProviderError(ErrorCode.PROVIDER_UNAVAILABLE, "down")
    assert [round(policy.delay(n, error) / d, 1) <= 1.2 for n, d in ((1, 0.5), (2, 1), (4, 2))]
    assert 1.6 <= policy.delay(5, error) <= 2.4
    told = ProviderError(ErrorCode.PROVIDER_RATE_LIMITED, "later", retry_after=3.0)
    assert policy.delay(1, told) == 3.0
