"""JWT authentication: bearer tokens verified against an algorithm allowlist and keys.

Tokens are verified with pyjwt against an algorithm allowlist (JWT_ALGORITHMS):
HS256 with the development secret, RS*/PS*/ES* with public keys from a PEM file
(JWT_PUBLIC_KEY_FILE), a JWKS file (JWT_JWKS_FILE, read once) or a JWKS URL
(JWT_JWKS_URL, `ingress.remote_keys`: refreshed, so keys rotate without a
restart; unreachable, it is auth_unavailable, never a 500). `none` is never accepted,
and the key is chosen by the algorithm's family, so an HS token is only ever
checked against the HMAC secret: a token "signed" with the RSA public key as an
HMAC secret (HS/RS confusion) fails. exp, sub, iss and aud are required; nbf is
checked when present; all with JWT_LEEWAY_SECONDS. `sub` is the user id and the
JWT_TIER_CLAIM claim (default `tier`) says free or premium.

REST calls carry `Authorization: Bearer <token>` (`bearer_token`); the
WebSocket sends its token in its first message. Both go through
`ingress.auth_guard`, which limits failed authentications per client address.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast, get_args

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

import settings
from ingress.models import MAX_USER_ID, Tier
from ingress.remote_keys import KeysUnavailable, RemoteKeys
from wire.errors import ErrorCode

HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
EC_ALGORITHMS = frozenset({"ES256", "ES384", "ES512"})

PublicKey = RSAPublicKey | EllipticCurvePublicKey


@dataclass(frozen=True)
class Identity:
    """Who a verified token speaks for."""

    user_id: str
    tier: Tier


class AuthError(Exception):
    """A caller that does not authenticate, with the stable code to answer (and when to retry)."""

    def __init__(
        self, code: ErrorCode, message: str, *, retry_after_seconds: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class _JwksKey:
    key: PublicKey
    kid: str | None
    alg: str | None


def _family_matches(alg: str, key: PublicKey) -> bool:
    if alg in RSA_ALGORITHMS:
        return isinstance(key, RSAPublicKey)
    return alg in EC_ALGORITHMS and isinstance(key, EllipticCurvePublicKey)


def _load_pem(path: str) -> PublicKey:
    key = load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, RSAPublicKey | EllipticCurvePublicKey):
        raise ValueError(f"{path}: only RSA and EC public keys are supported")
    return key


def jwks_signing_keys(document: dict[str, Any]) -> list[_JwksKey]:
    """A JWKS document's RSA and EC signing keys: never a symmetric key from a key set."""
    keys = []
    for entry in document.get("keys", []):
        if not isinstance(entry, dict) or entry.get("kty") not in ("RSA", "EC"):
            continue
        if entry.get("use") not in (None, "sig"):
            continue
        jwk = jwt.PyJWK.from_dict(entry)
        keys.append(_JwksKey(cast(PublicKey, jwk.key), jwk.key_id, entry.get("alg")))
    return keys


def _load_jwks(path: str) -> list[_JwksKey]:
    keys = jwks_signing_keys(json.loads(Path(path).read_text()))
    if not keys:
        raise ValueError(f"{path}: no RSA or EC keys")
    return keys


def _pick(candidates: Iterable[_JwksKey], alg: str, kid: str | None) -> PublicKey | None:
    for candidate in candidates:
        if kid is not None and candidate.kid != kid:
            continue
        if _family_matches(alg, candidate.key) and candidate.alg in (None, alg):
            return candidate.key
    return None


class JwtVerifier:
    """Verifies tokens against the configured algorithms and keys."""

    def __init__(self, cfg: settings.Settings) -> None:
        self.algorithms = frozenset(cfg.jwt_algorithms)
        unknown = self.algorithms - HMAC_ALGORITHMS - RSA_ALGORITHMS - EC_ALGORITHMS
        if unknown or not self.algorithms:
            raise ValueError(f"JWT_ALGORITHMS: not allowed: {sorted(unknown) or 'empty'}")
        self.issuer = cfg.jwt_issuer
        self.audience = cfg.jwt_audience
        self.leeway = cfg.jwt_leeway_seconds
        self.tier_claim = cfg.jwt_tier_claim
        self._secret = cfg.jwt_dev_secret if self.algorithms & HMAC_ALGORITHMS else None
        self._pem = _load_pem(cfg.jwt_public_key_file) if cfg.jwt_public_key_file else None
        self._jwks = _load_jwks(cfg.jwt_jwks_file) if cfg.jwt_jwks_file else []
        self._remote = (
            RemoteKeys(
                cfg.jwt_jwks_url,
                jwks_signing_keys,
                cache_seconds=cfg.jwt_jwks_cache_seconds,
                refresh_seconds=cfg.jwt_jwks_refresh_seconds,
                timeout_seconds=cfg.jwt_jwks_timeout_seconds,
            )
            if cfg.jwt_jwks_url
            else None
        )
        asymmetric = self.algorithms - HMAC_ALGORITHMS
        if asymmetric and self._pem is None and not self._jwks and self._remote is None:
            raise ValueError(
                f"{sorted(asymmetric)} need a public key: "
                "JWT_PUBLIC_KEY_FILE, JWT_JWKS_FILE or JWT_JWKS_URL"
            )

    async def _key(self, alg: str, kid: str | None) -> str | PublicKey:
        if alg in HMAC_ALGORITHMS:
            if self._secret is None:
                raise AuthError(ErrorCode.AUTH_INVALID, "no key for the token's algorithm")
            return self._secret
        if self._pem is not None and _family_matches(alg, self._pem):
            return self._pem
        key = _pick(self._jwks, alg, kid)
        if key is None and self._remote is not None:
            try:
                key = _pick(await self._remote.keys(kid), alg, kid)
            except KeysUnavailable as exc:
                raise AuthError(ErrorCode.AUTH_UNAVAILABLE, str(exc)) from exc
        if key is None:
            raise AuthError(ErrorCode.AUTH_INVALID, "no key for the token's algorithm or key id")
        return key

    async def verify(self, token: str) -> Identity:
        """The token's identity, or AuthError (auth_expired, auth_invalid, auth_unavailable)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise AuthError(ErrorCode.AUTH_INVALID, "malformed token") from exc
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise AuthError(ErrorCode.AUTH_INVALID, "token algorithm not allowed")
        kid = header.get("kid")
        key = await self._key(alg, kid if isinstance(kid, str) else None)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError(ErrorCode.AUTH_EXPIRED, "token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError(ErrorCode.AUTH_INVALID, f"invalid token: {exc}") from exc
        user_id = claims["sub"]
        if not isinstance(user_id, str) or not 0 < len(user_id) <= MAX_USER_ID:
            raise AuthError(ErrorCode.AUTH_INVALID, "token subject is not a user id")
        tier = claims.get(self.tier_claim, "free")
        if tier not in get_args(Tier):
            raise AuthError(ErrorCode.AUTH_INVALID, f"unknown tier {tier!r}")
        return Identity(user_id, cast(Tier, tier))


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
