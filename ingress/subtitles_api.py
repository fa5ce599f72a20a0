"""A live session's subtitles so far, to keep: WebVTT or SubRip, translated or original.

Built from the session's subtitle log (`state.subtitle_log`): the final
subtitle and transcript events its viewer was sent, written by whichever
ingress held the socket, so any ingress answers, during the session and for a
while after it ended (as long as the session can be read). Only the owner may
download; `track=translation` of a dub-only session is 404 not_found (it has
no translated subtitles; its transcript is there).
"""

from __future__ import annotations

from quart import Blueprint, Response

from flows.subtitle_files import final_cues, srt_text, vtt_text
from ingress.access import user_endpoint
from ingress.auth import Identity
from ingress.errors import ApiError
from ingress.models import SubtitlesQuery
from ingress.openapi import operation
from ingress.request_bodies import read_query
from ingress.runtime import current_runtime
from ingress.sessions_api import owned
from wire.errors import ErrorCode

subtitles_api = Blueprint("subtitles", __name__, url_prefix="/api/v1/dubbing")

MEDIA_TYPES = {"vtt": "text/vtt", "srt": "application/x-subrip"}
EVENT_TYPES = {"translation": "subtitle", "transcript": "transcript"}


@subtitles_api.get("/sessions/<session_id>/subtitles")
@operation(
    "The session's final subtitles so far as a WebVTT or SubRip file, translated or original",
    {},
    files={200: tuple(MEDIA_TYPES.values())},
    query=SubtitlesQuery,
    errors=(ErrorCode.SESSION_NOT_FOUND, ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN),
)
@user_endpoint
async def download_subtitles(identity: Identity, session_id: str) -> Response:
    """The file, as an attachment named for the session, track and language."""
    runtime = current_runtime()
    query = read_query(SubtitlesQuery)
    session = owned(await runtime.run(runtime.sessions.get(session_id)), identity)
    settings = session.settings
    if query.track == "translation":
        if not settings.live_subtitles:
            # A well-formed request for a file this session does not have.
            raise ApiError(
                ErrorCode.NOT_FOUND,
                "this session makes no translated subtitles (dubbing only): "
                "ask for track=transcript",
            )
        language = settings.subtitle_target
    else:
        language = settings.source_language
    events = await runtime.run(runtime.subtitle_logs.read(session_id))
    cues = final_cues(events, EVENT_TYPES[query.track])
    body = vtt_text(cues, language) if query.format == "vtt" else srt_text(cues)
    name = f"livedub-{session_id[:8]}-{query.track}-{language}.{query.format}"
    return Response(
        body,
        200,
        content_type=f"{MEDIA_TYPES[query.format]}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
