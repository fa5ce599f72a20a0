"""GET /api/v1/dev/token: only where DEV_TOKENS is on; its tokens authenticate."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import settings
from ingress.app import create_app
from ingress.auth import Identity, JwtVerifier
from tests.ingress.conftest import StartApp


@pytest.fixture
def dev_cfg(ingress_cfg: settings.Settings) -> settings.Settings:
    return dataclasses.replace(ingress_cfg, dev_tokens=True)


@pytest.mark.parametrize(
    ("value", "on"), [(None, False), ("", False), ("0", False), ("1", True), ("true", True)]
)
def test_the_setting_is_off_unless_switched_on(
    monkeypatch: pytest.MonkeyPatch, value: str | None, on: bool
) -> None:
    if value is None:
        monkeypatch.delenv("DEV_TOKENS", raising=False)
    else:
        monkeypatch.setenv("DEV_TOKENS", value)
    assert settings.load().dev_tokens is on


async def test_when_off_it_answers_like_an_unknown_route(ingress_cfg: settings.Settings) -> None:
    client = create_app(dataclasses.replace(ingress_cfg, dev_tokens=False)).test_client()
    missing = await client.get("/api/v1/dev/token?user=alice")
    unknown = await client.get("/api/v1/dev/nothing-here?user=alice")
    assert (missing.status_code, await missing.get_json()) == (
        unknown.status_code,
        await unknown.get_json(),
    )
    assert missing.status_code == 404
    assert (await missing.get_json())["error"]["code"] == "not_found"
    document = await (await client.get("/api/v1/openapi.json")).get_json()
    assert "/api/v1/dev/token" not in document["paths"]


async def test_mints_a_token_for_the_user_and_tier_that_the_api_accepts(
    start_app: StartApp, dev_cfg: settings.Settings
) -> None:
    client = (await start_app(dev_cfg)).test_client()
    response = await client.get("/api/v1/dev/token?user=demo&tier=premium")
    assert response.status_code == 200
    token = (await response.get_json())["token"]
    assert await JwtVerifier(dev_cfg).verify(token) == Identity("demo", "premium")
    free = await (await client.get("/api/v1/dev/token?user=demo")).get_json()
    assert await JwtVerifier(dev_cfg).verify(free["token"]) == Identity("demo", "free")
    csrf = await client.get("/api/v1/auth/csrf", headers={"Authorization": f"Bearer {token}"})
    assert csrf.status_code == 200
    document = await (await client.get("/api/v1/openapi.json")).get_json()
    assert "security" not in document["paths"]["/api/v1/dev/token"]["get"]


@pytest.mark.parametrize(
    "query", ["", "?user=", "?user=demo&tier=gold", "?user=" + "x" * 129, "?user=a&admin=1"]
)
async def test_refuses_a_missing_or_bad_user_or_tier(
    dev_cfg: settings.Settings, query: str
) -> None:
    response = await create_app(dev_cfg).test_client().get(f"/api/v1/dev/token{query}")
    assert response.status_code == 400
    assert (await response.get_json())["error"]["code"] == "request_invalid"


def test_refuses_to_start_when_its_tokens_would_not_verify(
    dev_cfg: settings.Settings, tmp_path: Path
) -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = tmp_path / "public.pem"
    pem.write_bytes(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    cfg = dataclasses.replace(dev_cfg, jwt_algorithms=("ES256",), jwt_public_key_file=str(pem))
    with pytest.raises(ValueError, match="HS256"):
        create_app(cfg)
    create_app(dataclasses.replace(cfg, dev_tokens=False))
