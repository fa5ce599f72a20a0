"""Bounding provider calls in time: every call ends by its timeout with `provider_timeout`.

Work already handed to a worker thread (a Whisper decode, a sync SDK request)
cannot be interrupted: it finishes there and its result is dropped; the caller
is free at the timeout all the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable
from contextlib import aclosing
from typing import TypeVar

from providers.base import ProviderError
from wire.errors import ErrorCode

T = TypeVar("T")


def timeout_error(what: str, seconds: float) -> ProviderError:
    """The error a call that ran out of time raises."""
    return ProviderError(ErrorCode.PROVIDER_TIMEOUT, f"{what} took longer than {seconds:g}s")


async def within(awaitable: Awaitable[T], seconds: float, what: str) -> T:
    """Await `awaitable` for at most `seconds`; cancel it and raise `provider_timeout` after."""
    try:
        async with asyncio.timeout(seconds):
            return await awaitable
    except TimeoutError:
        raise timeout_error(what, seconds) from None


async def stream_within(
    chunks: AsyncGenerator[T, None], seconds: float, what: str
) -> AsyncGenerator[T, None]:
    """Relay a stream, allowing at most `seconds` for each next item (first one included).

    A stream of speech may be long in total; what must not happen is a stall.
    The source is closed however the relay ends.
    """
    async with aclosing(chunks):
        while True:
            try:
                async with asyncio.timeout(seconds):
                    item = await anext(chunks)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise timeout_error(what, seconds) from None
            yield item
