"""Sessions: create (quota and session cap enforced), read, end.

Creating a session holds part of the user's daily quota (`state.quotas`):
SESSION_RESERVE_MINUTES, or whatever is left if that is less. A free user with
nothing left gets 402 quota_exceeded, and the hold keeps concurrent sessions
from being promised more than the day's limit. The flow charges the audio it
actually processes; ending the session releases the hold.
"""

from __future__ import annotations

import uuid

from quart import Blueprint, request, url_for

from ingress.access import user_endpoint
from ingress.auth import Identity
from ingress.errors import ApiError
from ingress.models import (
    CreateSessionRequest,
    EndSessionResponse,
    QuotaCheckResponse,
    SessionResponse,
    SessionStatusResponse,
)
from ingress.openapi import operation
from ingress.request_bodies import read_json
from ingress.runtime import IngressRuntime, current_runtime
from ingress.session_end import end_session
from settings import Settings
from state.clock import to_ms, utc_now
from state.errors import StateError
from state.quotas import Reservation
from state.sessions import Session
from wire.audio import EndRecord, SessionSettings
from wire.errors import ErrorCode

sessions_api = Blueprint("sessions", __name__, url_prefix="/api/v1/dubbing")

JsonAnswer = tuple[dict[str, object], int]


def _check_languages(cfg: Settings, body: CreateSessionRequest) -> None:
    kind = body.session_type
    if not (kind.audio_dubbing or kind.live_subtitles):
        raise ApiError(ErrorCode.REQUEST_INVALID, "ask for audio_dubbing, live_subtitles or both")
    wanted = [("source_language", body.source_language, cfg.source_languages)]
    wanted.append(("target_language", body.target_language, cfg.supported_languages))
    if kind.subtitle_language is not None:
        wanted.append(("subtitle_language", kind.subtitle_language, cfg.supported_languages))
    for name, language, supported in wanted:
        if language not in supported:
            raise ApiError(
                ErrorCode.LANGUAGE_UNSUPPORTED,
                f"{name} {language!r} is not one of {', '.join(supported)}",
            )


async def _reserve(runtime: IngressRuntime, identity: Identity) -> Reservation:
    quotas, run = runtime.quotas, runtime.run
    status = await run(quotas.get_usage(identity.user_id, tier=identity.tier))
    wanted_ms = round(runtime.cfg.session_reserve_minutes * 60_000)
    available = status.available_ms
    if available is not None:
        if available <= 0:
            raise ApiError(ErrorCode.QUOTA_EXCEEDED, "no free minutes left today")
        wanted_ms = min(wanted_ms, available)
    reservation = await run(
        quotas.check_and_reserve(identity.user_id, wanted_ms / 60_000, tier=identity.tier)
    )
    if not reservation.granted:  # another session took the rest meanwhile
        raise ApiError(ErrorCode.QUOTA_EXCEEDED, "no free minutes left today")
    return reservation


def owned(session: Session | None, identity: Identity) -> Session:
    """The session if it exists and is the caller's; else 404 or 403."""
    if session is None:
        raise ApiError(ErrorCode.SESSION_NOT_FOUND, "no such session (or it expired)")
    if session.user_id != identity.user_id:
        raise ApiError(ErrorCode.FORBIDDEN, "the session belongs to another user")
    return session


def _websocket_url(session_id: str) -> str:
    url = url_for("stream.dubbing_stream", session_id=session_id, _external=True)
    return ("wss" if request.scheme == "https" else "ws") + url[url.index(":") :]


@sessions_api.post("/sessions")
@operation(
    "Create a session (holds quota; at most MAX_SESSIONS_PER_USER open)",
    {201: SessionResponse},
    body=CreateSessionRequest,
    errors=(ErrorCode.LANGUAGE_UNSUPPORTED, ErrorCode.QUOTA_EXCEEDED, ErrorCode.SESSION_LIMIT),
)
@user_endpoint
async def create_session(identity: Identity) -> JsonAnswer:
    """Open a session for the caller and say where to stream it."""
    runtime = current_runtime()
    body = await read_json(CreateSessionRequest)
    _check_languages(runtime.cfg, body)
    reservation = await _reserve(runtime, identity)
    settings = SessionSettings(
        session_id=str(uuid.uuid4()),
        user_id=identity.user_id,
        tier=identity.tier,
        audio_dubbing=body.session_type.audio_dubbing,
        live_subtitles=body.session_type.live_subtitles,
        source_language=body.source_language,
        target_language=body.target_language,
        subtitle_language=body.session_type.subtitle_language,
        voice=body.voice_id,
    )
    try:
        session = await runtime.run(runtime.sessions.create(settings))
    except StateError as exc:
        await runtime.run(runtime.quotas.settle(reservation, 0.0))
        raise ApiError(exc.code, str(exc)) from exc
    await runtime.run(runtime.holds.remember(session.session_id, reservation))
    answer = SessionResponse(
        **SessionResponse.fields_of(session),
        status="active",
        websocket_url=_websocket_url(session.session_id),
        quota=QuotaCheckResponse.from_status(reservation.status, allowed=True),
    )
    return answer.model_dump(mode="json"), 201


@sessions_api.get("/sessions/<session_id>")
@operation(
    "A session's status and counters",
    {200: SessionStatusResponse},
    errors=(ErrorCode.SESSION_NOT_FOUND, ErrorCode.FORBIDDEN),
)
@user_endpoint
async def get_session(identity: Identity, session_id: str) -> JsonAnswer:
    """The caller's session."""
    runtime = current_runtime()
    session = owned(await runtime.run(runtime.sessions.get(session_id)), identity)
    answer = SessionStatusResponse(
        **SessionStatusResponse.fields_of(session),
        status=session.status,
        audio_chunks_processed=session.audio_chunks_processed,
        subtitles_generated=session.subtitles_generated,
        seconds_processed=session.processed_ms / 1000,
        last_activity_at=session.last_activity,
    )
    return answer.model_dump(mode="json"), 200


@sessions_api.delete("/sessions/<session_id>")
@operation(
    "End a session (idempotent): its stream ends and its quota hold is released",
    {200: EndSessionResponse},
    errors=(ErrorCode.SESSION_NOT_FOUND, ErrorCode.FORBIDDEN),
)
@user_endpoint
async def delete_session(identity: Identity, session_id: str) -> JsonAnswer:
    """End the caller's session; a stream in progress gets its end record."""
    runtime = current_runtime()
    session = owned(await runtime.run(runtime.sessions.get(session_id)), identity)
    if session.status == "active":
        local = runtime.streams.get(session_id)
        if local is not None:
            await local.end_requested()
        elif await runtime.run(runtime.routes.get(session_id)) is not None:
            # A socket elsewhere sent the start record; the flow must hear the end.
            end = EndRecord(session_id, session.last_seq, to_ms(utc_now()))
            await runtime.publisher.publish(end)
    try:
        ended = await end_session(runtime, session_id, identity.user_id)
    except StateError as exc:
        raise ApiError(exc.code, str(exc)) from exc
    answer = EndSessionResponse(
        session_id=session_id,
        status="ended",
        seconds_processed=ended.session.processed_ms / 1000,
        quota=QuotaCheckResponse.from_status(ended.quota, allowed=not ended.quota.exceeded),
    )
    return answer.model_dump(mode="json"), 200
