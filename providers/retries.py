"""Retrying provider calls that failed for a passing reason (429, 5xx, dropped connections).

One policy for every cloud adapter: wait what the provider asked for
(Retry-After) or back off exponentially with jitter, and never sleep past the
call's own deadline: a wait that would not fit fails at once, carrying
`retry_after` for the caller.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from providers.base import ProviderError

T = TypeVar("T")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to try again."""

    attempts: int = 4
    initial_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, failed_attempts: int, error: ProviderError) -> float:
        """Seconds to wait before the next try: the provider's Retry-After, else backoff."""
        if error.retry_after is not None:
            return max(0.0, error.retry_after)
        backoff = min(self.max_delay, self.initial_delay * 2 ** (failed_attempts - 1))
        return float(backoff * random.uniform(0.8, 1.2))


async def with_retries(
    attempt: Callable[[], Awaitable[T]], policy: RetryPolicy, *, budget: float, what: str
) -> T:
    """Run `attempt` until it succeeds, fails for good, or the budget (seconds) runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    failed = 0
    while True:
        try:
            return await attempt()
        except ProviderError as error:
            failed += 1
            if not error.retryable or failed >= policy.attempts:
                raise
            wait = policy.delay(failed, error)
            if loop.time() + wait >= deadline:
                raise
            log.info("%s failed (%s), try %d in %.2fs", what, error.code.value, failed + 1, wait)
            await asyncio.sleep(wait)
