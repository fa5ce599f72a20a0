"""The one exception state raises for a refused operation, carrying the client-facing code."""

from __future__ import annotations

from wire.errors import ErrorCode


class StateError(Exception):
    """An operation Redis refused (session limit, not the owner...), with its stable code."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
