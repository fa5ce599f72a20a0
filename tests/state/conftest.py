"""State tests talk to the shared real Redis; each test uses ids of its own."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
import redis
import redis.asyncio

import settings
from state.scripts import AsyncScriptRunner, ScriptRunner

# A fixed instant well inside a UTC day; tests pass it (or times derived from it) as `now`.
NOON = datetime(2031, 3, 14, 12, 0, tzinfo=UTC)


@pytest.fixture
def state_cfg(redis_url: str) -> settings.Settings:
    """The limits the tests' arithmetic assumes, whatever the environment says."""
    return dataclasses.replace(
        settings.load(),
        redis_url=redis_url,
        free_minutes_per_day=5.0,
        max_sessions_per_user=3,
        session_ttl_seconds=900,
        max_session_minutes=120,
        rate_limit_per_minute=10,
    )


@pytest.fixture
async def aclient(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    sync_client = redis.Redis.from_url(redis_url)
    try:
        yield sync_client
    finally:
        sync_client.close()


@pytest.fixture
def run(aclient: redis.asyncio.Redis) -> AsyncScriptRunner:
    return AsyncScriptRunner(aclient)


@pytest.fixture
def run_sync(client: redis.Redis) -> ScriptRunner:
    return ScriptRunner(client)


@pytest.fixture
def user() -> str:
    return f"user-{uuid.uuid4().hex}"


def new_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex}"
