"""Quota check and usage sync against the real ledger."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
import redis.asyncio

from state.scripts import AsyncScriptRunner
from state.usage import Usage
from tests.ingress.support import Caller


async def charge(caller: Caller, redis_url: str, ms: int) -> None:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        call = Usage(caller.cfg).apply_usage(f"s-{uuid.uuid4().hex}", caller.user, "free", ms)
        await AsyncScriptRunner(client)(call)
    finally:
        await client.aclose()


async def test_quota_check_reports_usage_and_whether_an_estimate_fits(
    caller: Caller, redis_url: str
) -> None:
    await charge(caller, redis_url, 90_000)
    status, quota = await caller.call("POST", "/api/v1/dubbing/quota/check", {})
    assert status == 200
    assert quota["allowed"] is True
    assert (quota["minutes_used"], quota["minutes_remaining"]) == (1.5, 3.5)
    assert quota["daily_limit_minutes"] == 5
    path = "/api/v1/dubbing/quota/check"
    assert (await caller.call("POST", path, {"estimated_minutes": 3.5}))[1]["allowed"] is True
    assert (await caller.call("POST", path, {"estimated_minutes": 3.6}))[1]["allowed"] is False
    assert (await caller.call("POST", path, {"estimated_minutes": -1}))[0] == 400


async def test_premium_has_no_limit(caller: Caller) -> None:
    premium = dataclasses.replace(caller, tier="premium")
    status, quota = await premium.call("POST", "/api/v1/dubbing/quota/check", {})
    assert (status, quota["tier"], quota["allowed"]) == (200, "premium", True)
    assert quota["minutes_remaining"] is None and quota["daily_limit_minutes"] is None


async def test_usage_sync_answers_the_server_count_and_the_drift(
    caller: Caller, redis_url: str
) -> None:
    await charge(caller, redis_url, 60_000)
    status, synced = await caller.call(
        "POST", "/api/v1/dubbing/usage/sync", {"client_minutes_used": 1.25}
    )
    assert status == 200
    assert synced["tier"] == "free"
    assert (synced["minutes_used"], synced["minutes_remaining"]) == (1.0, 4.0)
    assert synced["drift_minutes"] == pytest.approx(0.25)
    assert "resets_at" in synced and synced["daily_limit_minutes"] == 5


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"client_minutes_used": -1},
        {"client_minutes_used": "x"},
        {"client_minutes_used": "1"},  # a number in a string is not a number
        {"client_minutes_used": True},  # nor is a boolean
    ],
)
async def test_usage_sync_refuses_bad_counts(caller: Caller, body: object) -> None:
    status, answer = await caller.call("POST", "/api/v1/dubbing/usage/sync", body)
    assert (status, answer["error"]["code"]) == (400, "request_invalid")
