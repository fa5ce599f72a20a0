"""CSRF tokens: an HMAC (CSRF_SECRET) of the user and an expiry, sent back as X-CSRF-Token.

A token is bound to the user it was issued to and expires after
CSRF_TTL_SECONDS; nothing is stored server-side. Writes (POST, PUT, PATCH,
DELETE) on the API must carry one (see `ingress.access`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

import settings
from ingress.errors import ApiError
from wire.errors import ErrorCode

HEADER = "X-CSRF-Token"
# ASCII digits only, and few of them: str.isdigit() passes "²", which int() refuses,
# and int() refuses more than 4,300 digits. An expiry needs at most 12 until the year 33658.
_EXPIRES = re.compile(r"[0-9]{1,12}")


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
        if _EXPIRES.fullmatch(expires_text) is None:
            raise ApiError(ErrorCode.CSRF_INVALID, f"{HEADER} is not valid for this user")
        expires = int(expires_text)
        # Bytes, not str: compare_digest refuses str with non-ASCII characters (a header's
        # bytes arrive as Latin-1 characters).
        expected = self._signature(user_id, expires).encode()
        if not hmac.compare_digest(signature.encode(), expected):
            raise ApiError(ErrorCode.CSRF_INVALID, f"{HEADER} is not valid for this user")
        if expires <= self._clock():
            raise ApiError(ErrorCode.CSRF_INVALID, f"{HEADER} expired; fetch a new one")
