"""JWT verification: the allowlist, key families, claims, and how the REST API answers."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import settings
from ingress.auth import AuthError, Identity, JwtVerifier
from ingress.dev_token import mint_dev_token
from tests.ingress.support import ServedApp
from wire.errors import ErrorCode

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def claims(cfg: settings.Settings, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": "user-1",
        "tier": "premium",
        "iss": cfg.jwt_issuer,
        "aud": cfg.jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def refused(verifier: JwtVerifier, token: str) -> ErrorCode:
    with pytest.raises(AuthError) as raised:
        asyncio.run(verifier.verify(token))
    return raised.value.code


def verified(verifier: JwtVerifier, token: str) -> Identity:
    return asyncio.run(verifier.verify(token))


@pytest.fixture
def hs_cfg() -> settings.Settings:
    return dataclasses.replace(settings.load(), jwt_algorithms=("HS256",), jwt_leeway_seconds=5)


@pytest.fixture
def rs_cfg(tmp_path: Path) -> settings.Settings:
    key_file = tmp_path / "public.pem"
    key_file.write_bytes(_pem(RSA_KEY))
    return dataclasses.replace(
        settings.load(),
        jwt_algorithms=("RS256", "HS256"),
        jwt_public_key_file=str(key_file),
        jwt_leeway_seconds=5,
    )


def test_a_dev_token_verifies_to_its_user_and_tier(hs_cfg: settings.Settings) -> None:
    token = mint_dev_token(hs_cfg, "alice", "premium")
    assert verified(JwtVerifier(hs_cfg), token) == Identity("alice", "premium")


def test_missing_tier_means_free_and_unknown_tier_is_refused(hs_cfg: settings.Settings) -> None:
    verifier, secret = JwtVerifier(hs_cfg), hs_cfg.jwt_dev_secret
    assert verified(verifier, jwt.encode(claims(hs_cfg, tier=None), secret)).tier == "free"
    assert refused(verifier, jwt.encode(claims(hs_cfg, tier="gold"), secret)) == (
        ErrorCode.AUTH_INVALID
    )


def test_alg_none_is_refused(hs_cfg: settings.Settings) -> None:
    unsigned = jwt.encode(claims(hs_cfg), key=None, algorithm="none")
    assert refused(JwtVerifier(hs_cfg), unsigned) == ErrorCode.AUTH_INVALID


def test_none_cannot_be_allowed() -> None:
    with pytest.raises(ValueError, match="none"):
        JwtVerifier(dataclasses.replace(settings.load(), jwt_algorithms=("HS256", "none")))


def test_hs_token_signed_with_the_rsa_public_key_is_refused(rs_cfg: settings.Settings) -> None:
    # The classic confusion: the public key (which anyone has) used as an HMAC secret.
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = base64.urlsafe_b64encode(json.dumps(claims(rs_cfg)).encode())
    signing_input = header.rstrip(b"=") + b"." + body.rstrip(b"=")
    mac = hmac.new(_pem(RSA_KEY), signing_input, hashlib.sha256).digest()
    forged = (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()
    assert refused(JwtVerifier(rs_cfg), forged) == ErrorCode.AUTH_INVALID


def test_rs256_verifies_with_the_pem_public_key(rs_cfg: settings.Settings) -> None:
    token = jwt.encode(claims(rs_cfg), RSA_KEY, algorithm="RS256")
    assert verified(JwtVerifier(rs_cfg), token) == Identity("user-1", "premium")


def test_an_algorithm_outside_the_allowlist_is_refused(rs_cfg: settings.Settings) -> None:
    token = jwt.encode(claims(rs_cfg), RSA_KEY, algorithm="RS512")
    assert refused(JwtVerifier(rs_cfg), token) == ErrorCode.AUTH_INVALID


def test_es256_verifies_with_a_jwks_key_by_kid(tmp_path: Path) -> None:
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(EC_KEY.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**public, "kid": "k1", "alg": "ES256"}]}))
    cfg = dataclasses.replace(settings.load(), jwt_algorithms=("ES256",), jwt_jwks_file=str(jwks))
    verifier = JwtVerifier(cfg)
    good = jwt.encode(claims(cfg), EC_KEY, algorithm="ES256", headers={"kid": "k1"})
    assert verified(verifier, good).user_id == "user-1"
    unknown = jwt.encode(claims(cfg), EC_KEY, algorithm="ES256", headers={"kid": "k2"})
    assert refused(verifier, unknown) == ErrorCode.AUTH_INVALID
    other_key = ec.generate_private_key(ec.SECP256R1())
    forged = jwt.encode(claims(cfg), other_key, algorithm="ES256", headers={"kid": "k1"})
    assert refused(verifier, forged) == ErrorCode.AUTH_INVALID


def test_asymmetric_algorithms_need_a_key() -> None:
    with pytest.raises(ValueError, match="public key"):
        JwtVerifier(dataclasses.replace(settings.load(), jwt_algorithms=("RS256",)))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"exp": int(time.time()) - 60}, ErrorCode.AUTH_EXPIRED),
        ({"aud": "someone-else"}, ErrorCode.AUTH_INVALID),
        ({"iss": "someone-else"}, ErrorCode.AUTH_INVALID),
        ({"nbf": int(time.time()) + 600}, ErrorCode.AUTH_INVALID),
        ({"exp": None}, ErrorCode.AUTH_INVALID),
        ({"sub": None}, ErrorCode.AUTH_INVALID),
        ({"sub": ""}, ErrorCode.AUTH_INVALID),
    ],
)
def test_claims_are_checked(
    hs_cfg: settings.Settings, change: dict[str, Any], code: ErrorCode
) -> None:
    token = jwt.encode(claims(hs_cfg, **change), hs_cfg.jwt_dev_secret)
    assert refused(JwtVerifier(hs_cfg), token) == code


def test_leeway_tolerates_small_clock_skew(hs_cfg: settings.Settings) -> None:
    token = jwt.encode(claims(hs_cfg, exp=int(time.time()) - 2), hs_cfg.jwt_dev_secret)
    assert verified(JwtVerifier(hs_cfg), token).user_id == "user-1"


def test_a_tampered_token_is_refused(hs_cfg: settings.Settings) -> None:
    token = mint_dev_token(hs_cfg, "alice")
    header, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["tier"] = "premium"
    forged_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    assert refused(JwtVerifier(hs_cfg), f"{header}.{forged_body}.{signature}") == (
        ErrorCode.AUTH_INVALID
    )
    assert refused(JwtVerifier(hs_cfg), "not.a.jwt") == ErrorCode.AUTH_INVALID


async def test_rest_answers_each_auth_failure_with_its_code(
    served: ServedApp, ingress_cfg: settings.Settings
) -> None:
    client = served.test_client()
    secret = ingress_cfg.jwt_dev_secret
    cases = [
        ({}, ErrorCode.AUTH_REQUIRED),
        ({"Authorization": "Basic abc"}, ErrorCode.AUTH_REQUIRED),
        ({"Authorization": "Bearer garbage"}, ErrorCode.AUTH_INVALID),
        (
            {"Authorization": "Bearer " + jwt.encode(claims(ingress_cfg, aud="x"), secret)},
            ErrorCode.AUTH_INVALID,
        ),
        (
            {
                "Authorization": "Bearer "
                + jwt.encode(claims(ingress_cfg, exp=int(time.time()) - 3600), secret)
            },
            ErrorCode.AUTH_EXPIRED,
        ),
    ]
    for headers, code in cases:
        response = await client.get("/api/v1/auth/csrf", headers=headers)
        assert response.status_code == 401
        error = (await response.get_json())["error"]
        assert error["code"] == code.value and error["message"]
    good = {"Authorization": "Bearer " + mint_dev_token(ingress_cfg, "alice")}
    assert (await client.get("/api/v1/auth/csrf", headers=good)).status_code == 200
