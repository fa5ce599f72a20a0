"""Signing keys from a JWKS URL served over local HTTP: rotation, outages, the event loop."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

import settings
from ingress.auth import AuthError, Identity, JwtVerifier
from tests.ingress.conftest import StartApp
from tests.ingress.support import Caller, closed_with, ws_path
from wire.errors import ErrorCode


def private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "alg": "ES256", "use": "sig"}


class JwksServer:
    """A JWKS endpoint on a free local port whose keys, delay and health a test changes."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.delay_s = 0.0
        self.fetches = 0
        self.down = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                time.sleep(server.delay_s)
                if server.down:
                    self.send_error(503)
                    return
                body = json.dumps({"keys": server.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/.well-known/jwks.json"

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer()
    thread = threading.Thread(target=server.http.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.close()
        thread.join(5)


def remote_cfg(base: settings.Settings, url: str, **changes: Any) -> settings.Settings:
    defaults: dict[str, Any] = {
        "jwt_algorithms": ("ES256", "HS256"),
        "jwt_jwks_url": url,
        "jwt_jwks_cache_seconds": 300.0,
        "jwt_jwks_refresh_seconds": 0.0,
        "jwt_jwks_timeout_seconds": 2.0,
    }
    return dataclasses.replace(base, **(defaults | changes))


def token(cfg: settings.Settings, key: ec.EllipticCurvePrivateKey, kid: str, user: str) -> str:
    now = int(time.time())
    claims = {"sub": user, "tier": "premium", "iss": cfg.jwt_issuer, "aud": cfg.jwt_audience}
    claims |= {"iat": now, "exp": now + 600}
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid})


async def refused(verifier: JwtVerifier, signed: str) -> ErrorCode:
    with pytest.raises(AuthError) as raised:
        await verifier.verify(signed)
    return raised.value.code


async def test_a_rotated_in_key_is_picked_up_without_a_restart(jwks: JwksServer) -> None:
    cfg = remote_cfg(settings.load(), jwks.url)
    old, new = private_key(), private_key()
    jwks.keys = [jwk(old, "2026-11")]
    verifier = JwtVerifier(cfg)
    assert await verifier.verify(token(cfg, old, "2026-11", "alice")) == Identity(
        "alice", "premium"
    )
    assert await verifier.verify(token(cfg, old, "2026-11", "bob")) == Identity("bob", "premium")
    assert jwks.fetches == 1  # cached
    jwks.keys = [jwk(old, "2026-11"), jwk(new, "2026-12")]  # the issuer rotates
    assert (await verifier.verify(token(cfg, new, "2026-12", "carol"))).user_id == "carol"
    assert jwks.fetches == 2
    jwks.keys = [jwk(new, "2026-12")]  # the old key retired
    # Forged: the new kid signed with some other key.
    assert await refused(verifier, token(cfg, private_key(), "2026-12", "eve")) == (
        ErrorCode.AUTH_INVALID
    )


async def test_made_up_key_ids_cannot_make_a_fetch_each(jwks: JwksServer) -> None:
    cfg = remote_cfg(settings.load(), jwks.url, jwt_jwks_refresh_seconds=60.0)
    key = private_key()
    jwks.keys = [jwk(key, "k1")]
    verifier = JwtVerifier(cfg)
    await verifier.verify(token(cfg, key, "k1", "alice"))
    codes = [await refused(verifier, token(cfg, key, f"made-up-{i}", "eve")) for i in range(50)]
    assert set(codes) == {ErrorCode.AUTH_INVALID}
    assert jwks.fetches == 1


async def test_fetching_does_not_block_the_loop_and_is_shared(jwks: JwksServer) -> None:
    cfg = remote_cfg(settings.load(), jwks.url)
    key = private_key()
    jwks.keys, jwks.delay_s = [jwk(key, "k1")], 0.5
    verifier = JwtVerifier(cfg)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        signed = [token(cfg, key, "k1", f"user-{i}") for i in range(20)]
        identities = await asyncio.gather(*(verifier.verify(t) for t in signed))
    finally:
        ticker.cancel()
    assert [i.user_id for i in identities] == [f"user-{i}" for i in range(20)]
    assert jwks.fetches == 1  # twenty tokens waited for one fetch
    assert ticks >= 20  # the loop ran on through the half-second fetch


async def test_an_unreachable_key_set_is_503_not_500(
    jwks: JwksServer, start_app: StartApp, ingress_cfg: settings.Settings, user: str
) -> None:
    cfg = remote_cfg(ingress_cfg, jwks.url)
    key = private_key()
    jwks.keys = [jwk(key, "k1")]
    verifier = JwtVerifier(cfg)
    await verifier.verify(token(cfg, key, "k1", "alice"))
    jwks.down = True
    # Keys fetched before go on serving; a key id only the unreachable set could have
    # cannot be judged: unavailable, not invalid.
    assert (await verifier.verify(token(cfg, key, "k1", "bob"))).user_id == "bob"
    assert await refused(verifier, token(cfg, key, "k2", "bob")) == ErrorCode.AUTH_UNAVAILABLE

    client = (await start_app(cfg)).test_client()  # never reached the set
    headers = {"Authorization": f"Bearer {token(cfg, key, 'k1', user)}"}
    response = await client.get("/api/v1/auth/csrf", headers=headers)
    assert response.status_code == 503
    assert (await response.get_json())["error"]["code"] == "auth_unavailable"
    assert int(response.headers["Retry-After"]) >= 1
    # The development secret's tokens do not depend on the set.
    caller = Caller(client, cfg, user)
    sid = (await caller.create_session())["session_id"]
    async with client.websocket(ws_path(sid)) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token(cfg, key, "k1", user)}))
        code, before = await closed_with(ws)
    assert (code, before[-1]["code"]) == (1013, "auth_unavailable")
    jwks.down = False  # back: the next token fetches the set and passes
    assert (await client.get("/api/v1/auth/csrf", headers=headers)).status_code == 200
