"""Ingress apps served in-process (the test app runs the serving hooks) on the shared servers."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import pytest

import settings
from ingress.app import create_app
from providers.base import VoiceCatalog
from tests.ingress.support import Caller, ServedApp

ORIGIN = "chrome-extension://livedubtestextension"

StartApp = Callable[..., Awaitable[ServedApp]]


@pytest.fixture
def ingress_cfg(cfg: settings.Settings) -> settings.Settings:
    """Limits the tests' arithmetic assumes, with short timeouts."""
    return dataclasses.replace(
        cfg,
        rate_limit_per_minute=1000,
        auth_failures_per_minute=1000,
        ws_connects_per_minute=1000,
        free_minutes_per_day=5.0,
        max_sessions_per_user=3,
        session_reserve_minutes=1.0,
        cors_origins=(ORIGIN,),
        ws_auth_timeout_seconds=0.3,
        ws_end_timeout_seconds=5.0,
        ws_state_flush_seconds=0.0,
        replay_timeout_seconds=5.0,
        jwt_algorithms=("HS256",),
    )


@pytest.fixture
async def start_app(ingress_cfg: settings.Settings) -> AsyncIterator[StartApp]:
    """Serve apps until the test ends: `await start_app(cfg?, voice_catalog=?)`."""
    async with AsyncExitStack() as stack:

        async def start(
            cfg: settings.Settings | None = None, voice_catalog: VoiceCatalog | None = None
        ) -> ServedApp:
            app = create_app(cfg or ingress_cfg, voice_catalog=voice_catalog)
            return await stack.enter_async_context(app.test_app())

        yield start


@pytest.fixture
async def served(start_app: StartApp) -> ServedApp:
    return await start_app()


@pytest.fixture
def user() -> str:
    return f"user-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def caller(served: ServedApp, ingress_cfg: settings.Settings, user: str) -> Caller:
    return Caller(served.test_client(), ingress_cfg, user)


@pytest.fixture
async def two_instances(start_app: StartApp, ingress_cfg: settings.Settings) -> list[ServedApp]:
    """Instance 0 and 1 of 2 on the same topics (3 partitions: 0 owns 0 and 2, 1 owns 1)."""
    return [
        await start_app(dataclasses.replace(ingress_cfg, ingress_instance=i, ingress_instances=2))
        for i in range(2)
    ]
