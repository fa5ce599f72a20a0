"""REST rate limits per user (`state.rate_limits`): 429 with Retry-After when the window is full."""

from __future__ import annotations

from ingress.auth import Identity
from ingress.errors import ApiError
from ingress.runtime import IngressRuntime
from wire.errors import ErrorCode


async def enforce_rate_limit(
    runtime: IngressRuntime, identity: Identity, scope: str = "api"
) -> None:
    """Count the request; raise rate_limited (with Retry-After) when the user is over the limit."""
    decision = await runtime.run(runtime.rate_limits.allow(identity.user_id, scope))
    if not decision.allowed:
        raise ApiError(
            ErrorCode.RATE_LIMITED,
            f"more than {decision.limit} requests a minute",
            headers={"Retry-After": str(max(decision.retry_after_seconds, 1))},
        )
