"""The user's quota: check it, and sync the extension's own count with the server's."""

from __future__ import annotations

from quart import Blueprint

from ingress.access import user_endpoint
from ingress.auth import Identity
from ingress.models import (
    QuotaCheckRequest,
    QuotaCheckResponse,
    UsageSyncRequest,
    UsageSyncResponse,
)
from ingress.openapi import operation
from ingress.request_bodies import read_json
from ingress.runtime import current_runtime
from state.quotas import minutes_to_ms

quota_api = Blueprint("quota", __name__, url_prefix="/api/v1/dubbing")

JsonAnswer = tuple[dict[str, object], int]


@quota_api.post("/quota/check")
@operation(
    "Today's quota; allowed says whether estimated_minutes (or any audio) still fits",
    {200: QuotaCheckResponse},
    body=QuotaCheckRequest,
)
@user_endpoint
async def check_quota(identity: Identity) -> JsonAnswer:
    """The authoritative numbers, without reserving anything."""
    runtime = current_runtime()
    body = await read_json(QuotaCheckRequest)
    status = await runtime.run(runtime.quotas.get_usage(identity.user_id, tier=identity.tier))
    available = status.available_ms
    if available is None:
        allowed = True
    elif body.estimated_minutes is None:
        allowed = available > 0
    else:
        allowed = available >= max(minutes_to_ms(body.estimated_minutes), 1)
    return QuotaCheckResponse.from_status(status, allowed).model_dump(mode="json"), 200


@quota_api.post("/usage/sync")
@operation(
    "The server's usage next to the client's (the server's count wins)",
    {200: UsageSyncResponse},
    body=UsageSyncRequest,
)
@user_endpoint
async def sync_usage(identity: Identity) -> JsonAnswer:
    """Answer the client's count with the authoritative one and the drift between them."""
    runtime = current_runtime()
    body = await read_json(UsageSyncRequest)
    sync = await runtime.run(
        runtime.quotas.sync_usage(identity.user_id, body.client_minutes_used, tier=identity.tier)
    )
    return UsageSyncResponse.from_sync(sync).model_dump(mode="json"), 200
