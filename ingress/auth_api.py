"""GET /api/v1/auth/csrf: a CSRF token for the caller's writes."""

from __future__ import annotations

from quart import Blueprint

from ingress.access import user_endpoint
from ingress.auth import Identity
from ingress.models import CsrfTokenResponse
from ingress.openapi import operation
from ingress.runtime import current_runtime

auth_api = Blueprint("auth", __name__, url_prefix="/api/v1/auth")


@auth_api.get("/csrf")
@operation("A CSRF token (send it as X-CSRF-Token on POST/PUT/DELETE)", {200: CsrfTokenResponse})
@user_endpoint
async def csrf_token(identity: Identity) -> tuple[dict[str, object], int]:
    """A token bound to the caller, and when it expires."""
    token, expires_at = current_runtime().csrf.issue(identity.user_id)
    return CsrfTokenResponse(csrf_token=token, expires_at=expires_at).model_dump(mode="json"), 200
