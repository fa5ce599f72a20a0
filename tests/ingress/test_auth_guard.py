"""Failed authentications are limited per client address (REST and socket); connects per user."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import pytest

import settings
from ingress.dev_token import mint_dev_token
from tests.ingress.conftest import StartApp
from tests.ingress.support import Caller, Client, authenticate, closed_with, receive_json, ws_path

LIMIT = 5


def new_address() -> str:
    """A documentation-range address of this test's own (the shared Redis keeps windows)."""
    n = uuid.uuid4().int
    return f"198.{18 + n % 2}.{n // 2 % 256}.{n // 512 % 254 + 1}"


def peer(address: str) -> dict[str, Any]:
    return {"client": (address, 40000)}


@pytest.fixture
def guarded_cfg(ingress_cfg: settings.Settings) -> settings.Settings:
    return dataclasses.replace(
        ingress_cfg, auth_failures_per_minute=LIMIT, trusted_proxies=("10.0.0.0/8",)
    )


@pytest.fixture
async def client(start_app: StartApp, guarded_cfg: settings.Settings) -> Client:
    return (await start_app(guarded_cfg)).test_client()


async def csrf_status(client: Client, headers: dict[str, str], address: str) -> tuple[int, Any]:
    response = await client.get("/api/v1/auth/csrf", headers=headers, scope_base=peer(address))
    return response.status_code, response


async def test_bad_tokens_from_one_address_get_429_with_retry_after_then_even_good_ones(
    client: Client, guarded_cfg: settings.Settings
) -> None:
    address, bad = new_address(), {"Authorization": "Bearer not-a-token"}
    good = {"Authorization": "Bearer " + mint_dev_token(guarded_cfg, "alice")}
    statuses = [(await csrf_status(client, bad, address))[0] for _ in range(300)]
    assert statuses == [401] * LIMIT + [429] * (300 - LIMIT)
    status, response = await csrf_status(client, good, address)
    assert status == 429  # no token is looked at while the address is limited
    error = (await response.get_json())["error"]
    assert error["code"] == "auth_rate_limited"
    assert 50 <= int(response.headers["Retry-After"]) <= 60
    # Other addresses, and good tokens, are not held up.
    assert (await csrf_status(client, good, new_address()))[0] == 200
    assert (await csrf_status(client, bad, new_address()))[0] == 401


async def test_missing_tokens_count_and_good_ones_do_not(
    client: Client, guarded_cfg: settings.Settings
) -> None:
    address = new_address()
    good = {"Authorization": "Bearer " + mint_dev_token(guarded_cfg, "alice")}
    for _ in range(3 * LIMIT):
        assert (await csrf_status(client, good, address))[0] == 200
    statuses = [(await csrf_status(client, {}, address))[0] for _ in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]


async def test_x_forwarded_for_counts_only_behind_a_trusted_proxy(client: Client) -> None:
    bad = {"Authorization": "Bearer not-a-token"}
    proxy, untrusted = "10.1.2.3", new_address()
    # Behind the trusted proxy each forwarded client has a window of its own...
    clients = [new_address() for _ in range(3)]
    for forwarded in clients:
        headers = {**bad, "X-Forwarded-For": f"6.6.6.6, {forwarded}"}
        statuses = [(await csrf_status(client, headers, proxy))[0] for _ in range(LIMIT)]
        assert statuses == [401] * LIMIT
    # ...and the proxy's own address is untouched.
    assert (await csrf_status(client, bad, proxy))[0] == 401
    # A client that is not a trusted proxy cannot dodge its limit by naming others.
    statuses = [
        (await csrf_status(client, {**bad, "X-Forwarded-For": new_address()}, untrusted))[0]
        for _ in range(LIMIT + 1)
    ]
    assert statuses == [401] * LIMIT + [429]


async def test_sockets_that_fail_to_authenticate_count_too(client: Client, caller: Caller) -> None:
    sid = (await caller.create_session())["session_id"]  # on an app of the usual limits
    address = new_address()
    first_messages = ['{"type": "auth", "token": "forged"}', '{"type": "ping"}', b"\x00" * 320]
    closes = []
    for i in range(LIMIT + 1):
        async with client.websocket(ws_path(sid), scope_base=peer(address)) as ws:
            await ws.send(first_messages[i % len(first_messages)])
            code, before = await closed_with(ws)
            closes.append((code, before[-1]["code"]))
    each = [(4003, "auth_invalid"), (4003, "auth_required"), (4003, "auth_required")]
    assert closes[:LIMIT] == (each * LIMIT)[:LIMIT]
    assert closes[LIMIT] == (4030, "auth_rate_limited")
    async with client.websocket(ws_path(sid), scope_base=peer(address)) as ws:
        await ws.send(json.dumps({"type": "auth", "token": caller.token}))
        code, before = await closed_with(ws)
    assert code == 4030 and 50 <= before[-1]["retry_after_seconds"] <= 60
    async with client.websocket(ws_path(sid), scope_base=peer(new_address())) as ws:
        await authenticate(ws, caller)


async def test_a_user_may_open_so_many_sockets_a_minute(
    start_app: StartApp, ingress_cfg: settings.Settings, user: str
) -> None:
    cfg = dataclasses.replace(ingress_cfg, ws_connects_per_minute=3)
    caller = Caller((await start_app(cfg)).test_client(), cfg, user)
    sid = (await caller.create_session())["session_id"]
    for _ in range(3):
        async with caller.client.websocket(ws_path(sid)) as ws:
            await authenticate(ws, caller)
    async with caller.client.websocket(ws_path(sid)) as ws:
        await ws.send(json.dumps({"type": "auth", "token": caller.token}))
        error = await receive_json(ws)
        code, _ = await closed_with(ws)
    assert (code, error["code"]) == (4030, "rate_limited")
    assert 55 <= error["retry_after_seconds"] <= 60
    other = dataclasses.replace(caller, user=f"{user}-other")
    other_sid = (await other.create_session())["session_id"]
    async with caller.client.websocket(ws_path(other_sid)) as ws:
        await authenticate(ws, other)
