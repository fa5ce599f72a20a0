"""CORS: only the configured extension origin is let in."""

from __future__ import annotations

from tests.ingress.conftest import ORIGIN
from tests.ingress.support import Caller


async def test_the_extension_origin_gets_cors_headers_and_others_do_not(caller: Caller) -> None:
    allowed = await caller.client.get("/api/v1/config/extension", headers={"Origin": ORIGIN})
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Retry-After" in allowed.headers["Access-Control-Expose-Headers"]
    assert "Origin" in allowed.headers["Vary"]
    other = await caller.client.get(
        "/api/v1/config/extension", headers={"Origin": "https://evil.example"}
    )
    assert other.status_code == 200
    assert "Access-Control-Allow-Origin" not in other.headers


async def test_errors_carry_cors_headers_too(caller: Caller) -> None:
    response = await caller.client.get("/api/v1/auth/csrf", headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


async def test_preflight_is_answered_before_authentication(caller: Caller) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, x-csrf-token",
    }
    response = await caller.client.options(
        "/api/v1/dubbing/sessions", headers={"Origin": ORIGIN, **preflight}
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "X-CSRF-Token" in response.headers["Access-Control-Allow-Headers"]
    refused = await caller.client.options(
        "/api/v1/dubbing/sessions", headers={"Origin": "https://evil.example", **preflight}
    )
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert "Access-Control-Allow-Methods" not in refused.headers
