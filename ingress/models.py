"""The REST API's request and response bodies (pydantic v2); the OpenAPI document uses them too."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from state.quotas import QuotaStatus, UsageSync
from state.sessions import Session

Tier = Literal["free", "premium"]
MAX_USER_ID = 128
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", max_length=16)]


def _minutes(ms: int | None) -> float | None:
    return None if ms is None else round(ms / 60_000, 3)


class RequestModel(BaseModel):
    """Request bodies refuse fields they do not know (a typo should not pass silently).

    Strict: a JSON value must have the type the document says (`true` is not 1 minute,
    "1" is not a number), as the OpenAPI document promises.
    """

    model_config = ConfigDict(extra="forbid", strict=True)


class SessionType(RequestModel):
    """What a session produces: dubbed audio, subtitles, or both (not neither)."""

    # Neither is refused (400): the document says so, so that no schema-valid body is.
    model_config = ConfigDict(
        json_schema_extra={
            "not": {
                "required": ["audio_dubbing"],
                "properties": {
                    "audio_dubbing": {"const": False},
                    "live_subtitles": {"const": False},
                },
            }
        }
    )

    audio_dubbing: bool = True
    live_subtitles: bool = False
    subtitle_language: LanguageCode | None = None


class CreateSessionRequest(RequestModel):
    """POST /api/v1/dubbing/sessions."""

    session_type: SessionType = Field(default_factory=SessionType)
    source_language: LanguageCode = "he"
    target_language: LanguageCode = "en"
    voice_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None


class QuotaCheckRequest(RequestModel):
    """POST /api/v1/dubbing/quota/check: may the user stream `estimated_minutes` more today."""

    estimated_minutes: Annotated[float, Field(ge=0, le=24 * 60)] | None = None


class UsageSyncRequest(RequestModel):
    """POST /api/v1/dubbing/usage/sync: the client's own count, answered with the server's."""

    client_minutes_used: Annotated[float, Field(ge=0, le=24 * 60)]

    @field_validator("client_minutes_used")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class QuotaCheckResponse(BaseModel):
    """A user's quota today; minutes_remaining and daily_limit_minutes are null for premium."""

    allowed: bool
    tier: Tier
    minutes_used: float
    minutes_remaining: float | None
    daily_limit_minutes: float | None
    resets_at: datetime

    @classmethod
    def from_status(cls, status: QuotaStatus, allowed: bool) -> QuotaCheckResponse:
        """The response for the authoritative numbers in `status`."""
        return cls(
            allowed=allowed,
            tier="premium" if status.limit_ms is None else "free",
            minutes_used=_minutes(status.used_ms) or 0.0,
            minutes_remaining=_minutes(status.remaining_ms),
            daily_limit_minutes=_minutes(status.limit_ms),
            resets_at=status.resets_at,
        )


class UsageSyncResponse(BaseModel):
    """The server's count (authoritative) and how far the client's differs."""

    tier: Tier
    minutes_used: float
    minutes_remaining: float | None
    daily_limit_minutes: float | None
    resets_at: datetime
    drift_minutes: float

    @classmethod
    def from_sync(cls, sync: UsageSync) -> UsageSyncResponse:
        """The response for a sync's numbers."""
        quota = QuotaCheckResponse.from_status(sync.status, allowed=True)
        return cls(
            tier=quota.tier,
            minutes_used=quota.minutes_used,
            minutes_remaining=quota.minutes_remaining,
            daily_limit_minutes=quota.daily_limit_minutes,
            resets_at=quota.resets_at,
            drift_minutes=_minutes(sync.drift_ms) or 0.0,
        )


class SessionDescription(BaseModel):
    """What a session is: shared by the create and status answers."""

    session_id: str
    session_type: SessionType
    source_language: str
    target_language: str
    voice_id: str | None
    created_at: datetime

    @staticmethod
    def fields_of(session: Session) -> dict[str, Any]:
        """The description's fields for a session record."""
        settings = session.settings
        return {
            "session_id": session.session_id,
            "session_type": SessionType(
                audio_dubbing=settings.audio_dubbing,
                live_subtitles=settings.live_subtitles,
                subtitle_language=settings.subtitle_language,
            ),
            "source_language": settings.source_language,
            "target_language": settings.target_language,
            "voice_id": settings.voice,
            "created_at": session.created_at,
        }


class SessionResponse(SessionDescription):
    """A created session, where to stream it, and the quota it starts with."""

    status: Literal["active"]
    websocket_url: str
    quota: QuotaCheckResponse


class SessionStatusResponse(SessionDescription):
    """A session's state and counters."""

    status: Literal["active", "ended"]
    audio_chunks_processed: int
    subtitles_generated: int
    seconds_processed: float
    last_activity_at: datetime


class EndSessionResponse(BaseModel):
    """An ended session: the audio charged for it, and the user's quota after."""

    session_id: str
    status: Literal["ended"]
    seconds_processed: float
    quota: QuotaCheckResponse


class VoicesQuery(RequestModel):
    """GET /api/v1/dubbing/voices query string."""

    language: LanguageCode | None = None


class SubtitlesQuery(RequestModel):
    """GET /api/v1/dubbing/sessions/{id}/subtitles query string: which file."""

    format: Literal["vtt", "srt"] = "vtt"
    # translation: the subtitles (the session's subtitle language); transcript: the original
    track: Literal["translation", "transcript"] = "translation"


class VoiceOption(BaseModel):
    """A voice the dubbing can speak with."""

    id: str
    name: str
    language: str
    gender: str | None
    provider: str


class VoicesResponse(BaseModel):
    """The voices for a language (or all of them)."""

    voices: list[VoiceOption]


class LanguagePair(BaseModel):
    """A spoken language and a language to show or speak it in: whether an engine serves it."""

    source: str
    target: str
    served: bool


class ExtensionConfigResponse(BaseModel):
    """What the extension needs to know, all from configuration."""

    free_tier_minutes_per_day: float
    premium_tier_price_usd: float
    supported_languages: list[str]
    supported_sites: list[str]
    audio_sample_rate: int
    max_session_duration_minutes: int
    frame_ms: int
    source_languages: list[str]
    # Each source with each supported language; a pair not served gets subtitles in the
    # source language (marked untranslated) and no dub.
    language_pairs: list[LanguagePair]


class CsrfTokenResponse(BaseModel):
    """A CSRF token for the X-CSRF-Token header of writes, bound to the caller."""

    csrf_token: str
    expires_at: datetime


class DevTokenQuery(RequestModel):
    """GET /api/v1/dev/token query string: whom the token is for."""

    user: Annotated[str, Field(min_length=1, max_length=MAX_USER_ID)]
    tier: Tier = "free"


class DevTokenResponse(BaseModel):
    """A development JWT, signed with the local secret."""

    token: str


class ErrorDetail(BaseModel):
    """A stable code (see wire.errors.ErrorCode) and a message for people."""

    code: str
    message: str


class ErrorResponse(BaseModel):
    """Every error answer."""

    error: ErrorDetail
