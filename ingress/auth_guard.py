"""Authentication, REST and stream socket alike, with failures limited per client address.

An address with AUTH_FAILURES_PER_MINUTE failures in the last minute has its
authentications refused (auth_rate_limited, retry after the oldest failure
leaves the window) before any token is looked at, so a guesser learns
nothing more until then. A failure is a refused token or none at all; a key
set that cannot be fetched (auth_unavailable) is the service's failure, not
the caller's, and is not counted.
"""

from __future__ import annotations

import math

from ingress.auth import AuthError, Identity
from ingress.client_address import client_address
from ingress.runtime import IngressRuntime
from wire.errors import ErrorCode

FORWARDED_FOR = "X-Forwarded-For"


def caller_address(runtime: IngressRuntime, peer: str | None, forwarded_for: list[str]) -> str:
    """The address limits count against (X-Forwarded-For only from TRUSTED_PROXIES)."""
    return client_address(peer, forwarded_for, runtime.trusted_proxies)


async def record_failure(runtime: IngressRuntime, address: str) -> None:
    """Count a failed authentication from the address."""
    await runtime.run(runtime.auth_failures.record(address))


async def authenticate(
    runtime: IngressRuntime, token: str | None, address: str, missing: str
) -> Identity:
    """The token's identity, or AuthError; `missing` says what to send when there is no token."""
    decision = await runtime.run(runtime.auth_failures.check(address))
    if not decision.allowed:
        raise AuthError(
            ErrorCode.AUTH_RATE_LIMITED,
            f"more than {decision.limit} failed authentications a minute from this address",
            retry_after_seconds=max(decision.retry_after_seconds, 1),
        )
    try:
        if token is None:
            raise AuthError(ErrorCode.AUTH_REQUIRED, missing)
        return await runtime.verifier.verify(token)
    except AuthError as exc:
        if exc.code == ErrorCode.AUTH_UNAVAILABLE:
            exc.retry_after_seconds = max(math.ceil(runtime.cfg.jwt_jwks_refresh_seconds), 1)
        else:
            await record_failure(runtime, address)
        raise
