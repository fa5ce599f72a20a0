"""JWT authentication behind quart-auth's token hook.

Tokens are verified with pyjwt against an algorithm allowlist (JWT_ALGORITHMS):
HS256 with the development secret, RS*/PS*/ES* with public keys from a PEM file
(JWT_PUBLIC_KEY_FILE) or a JWKS file (JWT_JWKS_FILE). `none` is never accepted,
and the key is chosen by the algorithm's family, so an HS token is only ever
checked against the HMAC secret: a token "signed" with the RSA public key as an
HMAC secret (HS/RS confusion) fails. exp, sub, iss and aud are required; nbf is
checked when present; all with JWT_LEEWAY_SECONDS. `sub` is the user id and the
JWT_TIER_CLAIM claim (default `tier`) says free or premium.

REST calls carry `Authorization: Bearer <token>` (quart-auth's bearer mode);
the WebSocket sends its token in its first message and calls `verify` itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import cast, get_args

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from quart import Quart, g
from quart_auth import Action, AuthUser, QuartAuth, current_user

import settings
from ingress.errors import ApiError
from ingress.models import MAX_USER_ID, Tier
from wire.errors import ErrorCode

HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
EC_ALGORITHMS = frozenset({"ES256", "ES384", "ES512"})
_OUTCOME = "livedub_auth_outcome"

PublicKey = RSAPublicKey | EllipticCurvePublicKey


@dataclass(frozen=True)
class Identity:
    """Who a verified token speaks for."""

    user_id: str
    tier: Tier


class AuthError(Exception):
    """A token that does not authenticate, with the stable code to answer."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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


def _load_jwks(path: str) -> list[_JwksKey]:
    document = json.loads(Path(path).read_text())
    keys = []
    for entry in document.get("keys", []):
        if entry.get("kty") not in ("RSA", "EC"):
            continue  # never a symmetric key from a key set
        jwk = jwt.PyJWK.from_dict(entry)
        keys.append(_JwksKey(cast(PublicKey, jwk.key), jwk.key_id, entry.get("alg")))
    if not keys:
        raise ValueError(f"{path}: no RSA or EC keys")
    return keys


class JwtVerifier:
    """Verifies tokens against the configured algorithms and keys (loaded once)."""

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
        asymmetric = self.algorithms - HMAC_ALGORITHMS
        if asymmetric and self._pem is None and not self._jwks:
            raise ValueError(
                f"{sorted(asymmetric)} need a public key: JWT_PUBLIC_KEY_FILE or JWT_JWKS_FILE"
            )

    def _key(self, alg: str, kid: str | None) -> str | PublicKey:
        if alg in HMAC_ALGORITHMS:
            if self._secret is None:
                raise AuthError(ErrorCode.AUTH_INVALID, "no key for the token's algorithm")
            return self._secret
        if self._pem is not None and _family_matches(alg, self._pem):
            return self._pem
        for candidate in self._jwks:
            if kid is not None and candidate.kid != kid:
                continue
            if _family_matches(alg, candidate.key) and candidate.alg in (None, alg):
                return candidate.key
        raise AuthError(ErrorCode.AUTH_INVALID, "no key for the token's algorithm or key id")

    def verify(self, token: str) -> Identity:
        """The token's identity, or AuthError (auth_expired or auth_invalid)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise AuthError(ErrorCode.AUTH_INVALID, "malformed token") from exc
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise AuthError(ErrorCode.AUTH_INVALID, "token algorithm not allowed")
        kid = header.get("kid")
        key = self._key(alg, kid if isinstance(kid, str) else None)
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


class TokenUser(AuthUser):
    """quart-auth's user, carrying the verified identity or why there is none."""

    def __init__(
        self,
        auth_id: str | None,
        action: Action = Action.PASS,
        outcome: Identity | AuthError | None = None,
    ) -> None:
        super().__init__(auth_id, action)
        self.outcome = outcome


class JwtAuth(QuartAuth):
    """quart-auth in bearer mode whose token hook verifies JWTs."""

    user_class = TokenUser

    def __init__(self, app: Quart, verifier: JwtVerifier) -> None:
        self.verifier = verifier
        super().__init__(app, mode="bearer")

    def load_token(self, token: str, app: Quart | None = None) -> str | None:
        """The token hook: the user id of a valid token (the outcome is kept for the reason)."""
        try:
            outcome: Identity | AuthError = self.verifier.verify(token)
        except AuthError as exc:
            outcome = exc
        setattr(g, _OUTCOME, outcome)
        return outcome.user_id if isinstance(outcome, Identity) else None

    def resolve_user(self) -> TokenUser:
        """The request's user from its bearer token (quart-auth caches it per request)."""
        auth_id = self.load_bearer()
        return TokenUser(auth_id, outcome=g.pop(_OUTCOME, None))


def current_identity() -> Identity:
    """The caller's identity, or ApiError: auth_required, auth_invalid or auth_expired."""
    user = cast(TokenUser, current_user)
    outcome = user.outcome
    if isinstance(outcome, Identity):
        return outcome
    if isinstance(outcome, AuthError):
        raise ApiError(outcome.code, outcome.message)
    raise ApiError(ErrorCode.AUTH_REQUIRED, "send Authorization: Bearer <token>")
