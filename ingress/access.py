"""The checks every authenticated API call goes through, in order: who, how often, CSRF.

1. a valid bearer JWT (401 auth_required / auth_invalid / auth_expired; 429
   auth_rate_limited with Retry-After for an address with too many failures;
   503 auth_unavailable while a JWKS URL cannot be fetched), `ingress.auth_guard`;
2. the user's rate limit (429 rate_limited with Retry-After);
3. for writes (POST, PUT, PATCH, DELETE), an X-CSRF-Token issued to that user
   (403 csrf_invalid).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from quart import request

from ingress.auth import AuthError, Identity, bearer_token
from ingress.auth_guard import FORWARDED_FOR, authenticate, caller_address
from ingress.csrf import HEADER
from ingress.errors import ApiError
from ingress.rate_limit import enforce_rate_limit
from ingress.runtime import IngressRuntime, current_runtime

P = ParamSpec("P")
T = TypeVar("T")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
AUTHENTICATED = "__livedub_authenticated__"


async def _identity(runtime: IngressRuntime) -> Identity:
    address = caller_address(runtime, request.remote_addr, request.headers.getlist(FORWARDED_FOR))
    token = bearer_token(request.headers.get("Authorization"))
    try:
        return await authenticate(runtime, token, address, "send Authorization: Bearer <token>")
    except AuthError as exc:
        headers = {}
        if exc.retry_after_seconds is not None:
            headers["Retry-After"] = str(exc.retry_after_seconds)
        raise ApiError(exc.code, exc.message, headers=headers) from exc


def user_endpoint(
    view: Callable[Concatenate[Identity, P], Awaitable[T]],
) -> Callable[P, Awaitable[T]]:
    """Run the checks, then the view with the caller's identity as its first argument."""

    @wraps(view)
    async def checked(*args: P.args, **kwargs: P.kwargs) -> T:
        runtime = current_runtime()
        identity = await _identity(runtime)
        await enforce_rate_limit(runtime, identity)
        if request.method in WRITE_METHODS:
            runtime.csrf.check(identity.user_id, request.headers.get(HEADER))
        return await view(identity, *args, **kwargs)

    setattr(checked, AUTHENTICATED, True)
    return checked
