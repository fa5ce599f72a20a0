"""CSRF tokens: an HMAC (CSRF_SECRET) of the user and an expiry, sent back as X-CSRF-Token.

A token is bound to the user it was issued to and expires after
CSRF_TTL_SECONDS; nothing is stored server-side. Writes (POST, PUT, PATCH,
DELETE) on the API must carry one (see `ingress.access`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime

import settings
from ingress.errors import ApiError
from wire.errors import ErrorCode

HEADER = "X-CSRF-Token"


class CsrfTokens:
    """Issues and checks tokens."""

    def __init__(self, cfg: settings.Settings, clock: Callable[[], float] = time.time) -> None:
        self._secret = cfg.csrf_secret.encode()
        self.ttl_seconds = cfg.csrf_ttl_seconds
        self._clock = clock

    def _signature(self, user_id: str, expires: int) -> str:
        mac = hmac.new(self._secret, f"{user_id}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def issue(self, user_id: str) -> tuple[str, datetime]:
        """A token for the user and when it expires."""
        expires = int(self._clock()) + self.ttl_seconds
        token = f"{expires}.{self._signature(user_id, expires)}"
        return token, datetime.fromtimestamp(expires, UTC)

    def check(self, user_id: str, token: str | None) -> None:
        """Pass for a valid, unexpired token of this user; else ApiError csrf_invalid."""
        if not token:
            raise ApiError(ErrorCode.CSRF_INVALID, f"missing {HEADER}; GET /api/v1/auth/csrf")
        expires_text, _, signature = token.partition(".")
        if not expires_text.isdigit() or not hmac.compare_digest(
            signature, self._signature(user_id, int(expires_text))
        ):
            raise ApiError(ErrorCode.CSRF_INVALID, f"{HEADER} is not valid for this user")
        if int(expires_text) <= self._clock():
            raise ApiError(ErrorCode.CSRF_INVALID, f"{HEADER} expired; fetch a new one")
