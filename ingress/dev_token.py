"""`python -m ingress.dev_token USER [--tier free|premium]`: a development JWT.

Signed with the local dev secret (HS256); production verifies RS256/ES256 keys.
"""

from __future__ import annotations

import argparse
import time

import jwt

import settings

DEV_ALGORITHM = "HS256"


def mint_dev_token(
    cfg: settings.Settings, user: str, tier: str = "free", ttl_seconds: int = 24 * 3600
) -> str:
    """A token the ingress accepts in development: sub, tier, iss, aud, iat, nbf, exp."""
    now = int(time.time())
    claims = {
        "sub": user,
        "tier": tier,
        "iss": cfg.jwt_issuer,
        "aud": cfg.jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, cfg.jwt_dev_secret, algorithm=DEV_ALGORITHM)


def main() -> None:
    """Print a token for the user."""
    parser = argparse.ArgumentParser(prog="just token")
    parser.add_argument("user")
    parser.add_argument("--tier", choices=["free", "premium"], default="free")
    parser.add_argument("--ttl", type=int, default=24 * 3600, help="seconds until it expires")
    args = parser.parse_args()
    print(mint_dev_token(settings.load(), args.user, args.tier, args.ttl))


if __name__ == "__main__":
    main()
