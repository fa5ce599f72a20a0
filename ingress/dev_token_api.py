"""GET /api/v1/dev/token?user=NAME[&tier=free|premium]: a development JWT for anyone who asks.

Registered only when DEV_TOKENS is on (`just up` turns it on for the local
stack); otherwise the route does not exist and answers 404 like any unknown
path. The demo page's "Get a development token" button calls it.
"""

from __future__ import annotations

from quart import Blueprint, Quart

import settings
from ingress.dev_token import DEV_ALGORITHM, mint_dev_token
from ingress.models import DevTokenQuery, DevTokenResponse
from ingress.openapi import operation
from ingress.request_bodies import read_query
from ingress.runtime import current_runtime

dev_token_api = Blueprint("dev_token", __name__, url_prefix="/api/v1/dev")


@dev_token_api.get("/token")
@operation(
    "A development token (only where DEV_TOKENS is on)",
    {200: DevTokenResponse},
    query=DevTokenQuery,
)
async def dev_token() -> tuple[dict[str, object], int]:
    """A token for the named user and tier, as `just token` mints it."""
    query = read_query(DevTokenQuery)
    token = mint_dev_token(current_runtime().cfg, query.user, query.tier)
    return DevTokenResponse(token=token).model_dump(mode="json"), 200


def install_dev_tokens(app: Quart, cfg: settings.Settings) -> None:
    """Serve the endpoint when DEV_TOKENS is on, and only if the app accepts what it mints."""
    if not cfg.dev_tokens:
        return
    if DEV_ALGORITHM not in cfg.jwt_algorithms:
        raise ValueError(f"DEV_TOKENS mints {DEV_ALGORITHM} tokens: add it to JWT_ALGORITHMS")
    app.register_blueprint(dev_token_api)
