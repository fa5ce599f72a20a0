"""REST rate limits: 429 with Retry-After for the flooding user, others unaffected."""

from __future__ import annotations

import asyncio
import dataclasses

import settings
from tests.ingress.conftest import StartApp
from tests.ingress.support import Caller


async def test_a_flood_is_answered_429_with_retry_after_while_others_are_served(
    start_app: StartApp, ingress_cfg: settings.Settings, user: str
) -> None:
    cfg = dataclasses.replace(ingress_cfg, rate_limit_per_minute=5)
    client = (await start_app(cfg)).test_client()
    flooder, other = Caller(client, cfg, user), Caller(client, cfg, user + "-other")
    answers = await asyncio.gather(
        *(client.get("/api/v1/auth/csrf", headers=flooder.headers()) for _ in range(8))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 5 + [429] * 3
    limited = next(a for a in answers if a.status_code == 429)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert (await limited.get_json())["error"]["code"] == "rate_limited"
    assert (await client.get("/api/v1/auth/csrf", headers=other.headers())).status_code == 200
    assert (await client.get("/api/v1/config/extension")).status_code == 200
