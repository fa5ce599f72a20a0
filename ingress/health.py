"""Liveness (`/healthz`) and readiness (`/readyz`: Kafka and Redis reachable)."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from confluent_kafka.admin import AdminClient
from quart import Blueprint, current_app

import settings

health = Blueprint("health", __name__)


@health.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


def _kafka_reachable(bootstrap: str) -> bool:
    try:
        AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=2)
    except Exception:
        return False
    return True


async def _redis_reachable(url: str) -> bool:
    client = aioredis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()


@health.get("/readyz")
async def readyz() -> tuple[dict[str, object], int]:
    """Ready when both Kafka and Redis answer; 503 says which one does not."""
    cfg: settings.Settings = current_app.config["LIVEDUB"]
    kafka_ok, redis_ok = await asyncio.gather(
        asyncio.to_thread(_kafka_reachable, cfg.kafka_bootstrap),
        _redis_reachable(cfg.redis_url),
    )
    ready = kafka_ok and redis_ok
    body: dict[str, object] = {
        "status": "ready" if ready else "not_ready",
        "checks": {"kafka": kafka_ok, "redis": redis_ok},
    }
    return body, 200 if ready else 503
