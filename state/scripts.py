"""Lua scripts from `state/lua/`, run by EVALSHA with one runner for sync and async clients.

A domain method (quotas, sessions, rate limits, usage) does not talk to Redis:
it returns a `ScriptCall` (script, keys, arguments and a parser for the reply).
`ScriptRunner` runs calls on a `redis.Redis` (the Bytewax flow, which is
synchronous), `AsyncScriptRunner` on a `redis.asyncio.Redis` (the ingress), so
the logic exists once and only the I/O has two flavours.

Scripts are sent by SHA1. The first call on a server, or any call after a
`SCRIPT FLUSH` or a restart, gets NOSCRIPT: the runner loads the source once and
retries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any, Generic, TypeVar

import redis
import redis.asyncio
from redis.exceptions import NoScriptError

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
U = TypeVar("U")

Arg = str | int | float


@dataclass(frozen=True)
class LuaScript:
    """One script's source and SHA1; `libraries` are prepended so scripts share Lua helpers."""

    name: str
    source: str

    @cached_property
    def sha(self) -> str:
        """The SHA1 Redis knows the script by."""
        return hashlib.sha1(self.source.encode()).hexdigest()

    @classmethod
    def load(cls, name: str, *libraries: str) -> LuaScript:
        """Read `state/lua/<name>.lua`, after the named library files (same folder)."""
        folder = resources.files("state") / "lua"
        parts = [(folder / f"{part}.lua").read_text() for part in (*libraries, name)]
        return cls(name, "\n".join(parts))


@dataclass(frozen=True)
class ScriptCall(Generic[T_co]):
    """A script with its keys and arguments, and how to turn its reply into a typed value."""

    script: LuaScript
    keys: Sequence[str]
    args: Sequence[Arg]
    parse: Callable[[Any], T_co]

    def then(self, convert: Callable[[T_co], U]) -> ScriptCall[U]:
        """The same call, its parsed reply converted further."""
        return ScriptCall(
            self.script, self.keys, self.args, lambda reply: convert(self.parse(reply))
        )


class ScriptRunner:
    """Runs script calls on a synchronous client (the flow)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def __call__(self, call: ScriptCall[T]) -> T:
        """Run the call; load the script first if the server does not have it."""
        script, keys = call.script, call.keys
        try:
            reply = self.client.evalsha(script.sha, len(keys), *keys, *call.args)
        except NoScriptError:
            self.client.script_load(script.source)
            reply = self.client.evalsha(script.sha, len(keys), *keys, *call.args)
        return call.parse(reply)

    def run_many(self, calls: Sequence[ScriptCall[T]]) -> list[T]:
        """Run calls in one round trip (a non-transactional pipeline), in order.

        Calls that met NOSCRIPT are run again after loading their script; the
        others are not repeated.
        """
        replies: list[Any] = [None] * len(calls)
        pending = list(range(len(calls)))
        for attempt in range(2):
            pipe = _queued(self.client.pipeline(transaction=False), calls, pending)
            pending = _missing(calls, replies, pending, pipe.execute(raise_on_error=False))
            if not pending or attempt:
                break
            for script in _scripts(calls, pending):
                self.client.script_load(script.source)
        return _parsed(calls, replies, return_exceptions=False)


class AsyncScriptRunner:
    """Runs script calls on an asyncio client (the ingress)."""

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self.client = client

    async def __call__(self, call: ScriptCall[T]) -> T:
        """Run the call; load the script first if the server does not have it."""
        script, keys = call.script, call.keys
        try:
            reply = await self.client.evalsha(script.sha, len(keys), *keys, *call.args)
        except NoScriptError:
            await self.client.script_load(script.source)
            reply = await self.client.evalsha(script.sha, len(keys), *keys, *call.args)
        return call.parse(reply)

    async def run_many(self, calls: Sequence[ScriptCall[T]]) -> list[T | Exception]:
        """Run calls in one round trip, in order; each call's error comes back in its place.

        A failed connection still raises (no call has an outcome then).
        """
        replies: list[Any] = [None] * len(calls)
        pending = list(range(len(calls)))
        for attempt in range(2):
            pipe = _queued(self.client.pipeline(transaction=False), calls, pending)
            pending = _missing(calls, replies, pending, await pipe.execute(raise_on_error=False))
            if not pending or attempt:
                break
            for script in _scripts(calls, pending):
                await self.client.script_load(script.source)
        return _parsed(calls, replies, return_exceptions=True)


P = TypeVar("P", redis.client.Pipeline, redis.asyncio.client.Pipeline)


def _queued(pipe: P, calls: Sequence[ScriptCall[Any]], pending: list[int]) -> P:
    for i in pending:
        call = calls[i]
        pipe.evalsha(call.script.sha, len(call.keys), *call.keys, *call.args)
    return pipe


def _missing(
    calls: Sequence[ScriptCall[Any]], replies: list[Any], pending: list[int], got: list[Any]
) -> list[int]:
    """Store the replies of the `pending` calls; the ones whose script Redis did not have."""
    for i, reply in zip(pending, got, strict=True):
        replies[i] = reply
    return [i for i in pending if isinstance(replies[i], NoScriptError)]


def _scripts(calls: Sequence[ScriptCall[Any]], indexes: list[int]) -> list[LuaScript]:
    return list({calls[i].script.sha: calls[i].script for i in indexes}.values())


def _parsed(
    calls: Sequence[ScriptCall[T]], replies: list[Any], return_exceptions: bool
) -> list[Any]:
    out: list[Any] = []
    for call, reply in zip(calls, replies, strict=True):
        try:
            if isinstance(reply, Exception):
                raise reply
            out.append(call.parse(reply))
        except Exception as exc:
            if not return_exceptions:
                raise
            out.append(exc)
    return out


def text(value: bytes | str) -> str:
    """A reply string, whether or not the client decodes responses."""
    return value.decode() if isinstance(value, bytes) else value


def fields(flat: Sequence[bytes | str]) -> dict[str, str]:
    """An HGETALL-style flat reply (field, value, field, value...) as a dict."""
    items = [text(item) for item in flat]
    return dict(zip(items[::2], items[1::2], strict=True))
