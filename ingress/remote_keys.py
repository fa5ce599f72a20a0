"""Signing keys from a JWKS URL (JWT_JWKS_URL), fetched off the event loop and refreshed.

PyJWT's `PyJWKClient` fetches and parses the key set and caches it for
JWT_JWKS_CACHE_SECONDS. Its fetch is blocking urllib, so it runs in a thread,
one at a time: every token waiting for keys awaits the same fetch. A token
whose `kid` the cached set lacks makes a fresh fetch, at most once per
JWT_JWKS_REFRESH_SECONDS (a flood of made-up key ids cannot turn into a
flood of fetches), so a rotated-in key is picked up without a restart.

When the URL cannot be reached the last set fetched goes on serving; with no
set at all, or a key id it lacks, verification is `auth_unavailable` (503):
the token may well be good, the service cannot tell yet.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

import jwt
from jwt import PyJWKClient

log = logging.getLogger(__name__)


class Keyed(Protocol):
    """A parsed key: what the key set calls it."""

    @property
    def kid(self) -> str | None:
        """The key id (`kid`)."""
        ...


K = TypeVar("K", bound=Keyed)


class KeysUnavailable(Exception):
    """The key set could not be fetched, and none fetched earlier has the key."""


class RemoteKeys(Generic[K]):
    """The key set behind a JWKS URL, as fresh as its cache and rotations need.

    `parse` turns the fetched JWKS document into keys (once per fetch, not per token).
    """

    def __init__(
        self,
        url: str,
        parse: Callable[[dict[str, Any]], Sequence[K]],
        *,
        cache_seconds: float,
        refresh_seconds: float,
        timeout_seconds: float,
    ) -> None:
        # The client fetches (no redirects, http(s) only); when to fetch is decided here.
        self._client = PyJWKClient(url, cache_jwk_set=False, timeout=timeout_seconds)
        self.url = url
        self._parse = parse
        self._cache_seconds = cache_seconds
        self._refresh_seconds = refresh_seconds
        self._keys: Sequence[K] = ()
        self._fetched_at: float | None = None  # monotonic: the last good fetch
        self._tried_at: float | None = None  # monotonic: the last attempt, good or not
        self._failed = False
        self._fetching: asyncio.Future[None] | None = None

    def _age(self, since: float | None) -> float:
        return float("inf") if since is None else time.monotonic() - since

    def _knows(self, kid: str | None) -> bool:
        return any(kid in (None, key.kid) for key in self._keys)

    async def keys(self, kid: str | None) -> Sequence[K]:
        """The set's keys, fetched first if the cache lapsed or lacks `kid` (and may refresh)."""
        known = self._knows(kid)
        stale = self._age(self._fetched_at) >= self._cache_seconds
        if (stale or not known) and self._age(self._tried_at) >= self._refresh_seconds:
            await self._fetch()
            known = self._knows(kid)
        if not known and (self._failed or not self._keys):
            raise KeysUnavailable(f"the signing keys at {self.url} cannot be fetched")
        return self._keys

    async def _fetch(self) -> None:
        """One fetch at a time; every caller waiting meanwhile awaits the same one."""
        if self._fetching is None:
            self._fetching = asyncio.ensure_future(self._fetch_once())
        fetching = self._fetching
        try:
            await asyncio.shield(fetching)
        finally:
            if self._fetching is fetching and fetching.done():
                self._fetching = None

    async def _fetch_once(self) -> None:
        self._tried_at = time.monotonic()
        try:
            document = await asyncio.to_thread(self._client.fetch_data)
            keys = self._parse(document)
            if not keys:
                raise ValueError("no usable signing keys in the set")
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
            log.warning("JWKS %s: %s (keeping %d keys)", self.url, exc, len(self._keys))
            self._failed = True
        else:
            self._keys, self._failed = tuple(keys), False
            self._fetched_at = time.monotonic()
        finally:
            self._tried_at = time.monotonic()
