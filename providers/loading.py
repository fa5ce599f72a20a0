"""Load each model once per process, lazily, even when many threads ask at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class LoadedOnce(Generic[T]):
    """A per-key cache whose loader runs once per key, outside any global lock.

    Threads asking for the same key wait for the one load; different keys load
    in parallel. A failed load is not cached: the next caller tries again.
    """

    def __init__(self) -> None:
        self._values: dict[Hashable, T] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The value for `key`, loading it with `load` the first time."""
        if key in self._values:
            return self._values[key]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = load()
            return self._values[key]

    def loaded(self) -> int:
        """How many values are loaded (for tests and the benchmark)."""
        return len(self._values)
