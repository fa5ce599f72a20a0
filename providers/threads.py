"""Blocking engine work off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

T = TypeVar("T")


async def iterate_in_thread(items: Iterator[T]) -> AsyncIterator[T]:
    """Drive a blocking iterator (one sentence of speech per item) from worker threads.

    Each `next()` runs in the default executor, so the loop stays free between
    and during items; stopping early leaves the rest of the iterator unrun.
    """
    done = object()
    while True:
        item = await asyncio.to_thread(next, items, done)
        if item is done:
            return
        yield item  # type: ignore[misc]
