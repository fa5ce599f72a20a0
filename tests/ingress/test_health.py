"""Health and readiness against the real broker and Redis."""

from __future__ import annotations

import dataclasses

import settings
from ingress.app import create_app


async def test_healthz_answers(cfg: settings.Settings) -> None:
    response = await create_app(cfg).test_client().get("/healthz")
    assert response.status_code == 200
    assert (await response.get_json()) == {"status": "ok"}


async def test_readyz_checks_kafka_and_redis(cfg: settings.Settings) -> None:
    response = await create_app(cfg).test_client().get("/readyz")
    assert response.status_code == 200
    assert (await response.get_json())["checks"] == {"kafka": True, "redis": True}


async def test_readyz_says_which_dependency_is_down(cfg: settings.Settings) -> None:
    broken = dataclasses.replace(cfg, redis_url="redis://127.0.0.1:1/0")
    response = await create_app(broken).test_client().get("/readyz")
    assert response.status_code == 503
    assert (await response.get_json())["checks"] == {"kafka": True, "redis": False}
