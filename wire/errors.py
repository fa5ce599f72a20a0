"""Stable error codes and WebSocket close codes that clients switch on.

Codes are part of the public protocol: add new ones, never rename.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ErrorCode(StrEnum):
    """Machine-readable error codes carried by `error` events and HTTP error bodies."""

    AUTH_REQUIRED = "auth_required"
    AUTH_INVALID = "auth_invalid"
    AUTH_EXPIRED = "auth_expired"
    AUTH_TIMEOUT = "auth_timeout"
    AUTH_RATE_LIMITED = "auth_rate_limited"  # too many failed authentications from an address
    AUTH_UNAVAILABLE = "auth_unavailable"  # the signing keys cannot be fetched: try again
    CSRF_INVALID = "csrf_invalid"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"
    QUOTA_EXCEEDED = "quota_exceeded"
    SESSION_NOT_FOUND = "session_not_found"
    SESSION_ENDED = "session_ended"
    SESSION_LIMIT = "session_limit"
    REQUEST_INVALID = "request_invalid"
    MESSAGE_INVALID = "message_invalid"
    FRAME_INVALID = "frame_invalid"
    FRAME_TOO_LARGE = "frame_too_large"
    FRAME_TOO_SMALL = "frame_too_small"
    RECORD_INVALID = "record_invalid"
    SLOW_CONSUMER = "slow_consumer"
    LANGUAGE_UNSUPPORTED = "language_unsupported"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    PROVIDER_AUTH = "provider_auth"
    PROVIDER_RATE_LIMITED = "provider_rate_limited"
    PROVIDER_TIMEOUT = "provider_timeout"
    NOT_FOUND = "not_found"
    DEMO_NOT_BUILT = "demo_not_built"
    INTERNAL = "internal"
    # Redis (sessions, quotas, rate limits) is away: try again shortly.
    STATE_UNAVAILABLE = "state_unavailable"


class CloseCode(IntEnum):
    """WebSocket close codes (4000-4999 is the application range)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    MESSAGE_TOO_BIG = 1009  # a frame over 1 s or a control message over its limit
    TRY_AGAIN_LATER = 1013  # Redis or the signing keys are away: reconnect after a backoff
    AUTH_TIMEOUT = 4001
    AUTH_INVALID = 4003
    SESSION_NOT_FOUND = 4004
    SESSION_ENDED = 4005
    QUOTA_EXCEEDED = 4029
    RATE_LIMITED = 4030
    MESSAGE_INVALID = 4400
    SLOW_CONSUMER = 4408
    INTERNAL = 4500
