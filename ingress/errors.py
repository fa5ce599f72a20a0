"""HTTP errors with stable codes: `{"error": {"code": ..., "message": ...}}` and a status.

Handlers raise `ApiError`; the app's error handlers render it, and also turn
Werkzeug's HTTP errors (unknown route, wrong method, body too large) and
unexpected exceptions into the same shape, so a client never has to parse HTML.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from quart import Quart, Response, current_app, jsonify
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.exceptions import HTTPException

from ingress.metrics import app_metrics
from wire.errors import ErrorCode

log = logging.getLogger(__name__)

# Quota: 402 Payment Required, because what lifts the limit is the premium tier.
STATUS: dict[ErrorCode, HTTPStatus] = {
    ErrorCode.REQUEST_INVALID: HTTPStatus.BAD_REQUEST,
    ErrorCode.LANGUAGE_UNSUPPORTED: HTTPStatus.BAD_REQUEST,
    ErrorCode.AUTH_REQUIRED: HTTPStatus.UNAUTHORIZED,
    ErrorCode.AUTH_INVALID: HTTPStatus.UNAUTHORIZED,
    ErrorCode.AUTH_EXPIRED: HTTPStatus.UNAUTHORIZED,
    ErrorCode.FORBIDDEN: HTTPStatus.FORBIDDEN,
    ErrorCode.CSRF_INVALID: HTTPStatus.FORBIDDEN,
    ErrorCode.QUOTA_EXCEEDED: HTTPStatus.PAYMENT_REQUIRED,
    ErrorCode.NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.SESSION_NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.SESSION_LIMIT: HTTPStatus.CONFLICT,
    ErrorCode.SESSION_ENDED: HTTPStatus.CONFLICT,
    ErrorCode.RATE_LIMITED: HTTPStatus.TOO_MANY_REQUESTS,
    ErrorCode.AUTH_RATE_LIMITED: HTTPStatus.TOO_MANY_REQUESTS,
    ErrorCode.AUTH_UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    ErrorCode.PROVIDER_UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    ErrorCode.DEMO_NOT_BUILT: HTTPStatus.SERVICE_UNAVAILABLE,
    ErrorCode.STATE_UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    ErrorCode.INTERNAL: HTTPStatus.INTERNAL_SERVER_ERROR,
}


class ApiError(Exception):
    """A refused request: its stable code, a message for people, and extra headers."""

    def __init__(
        self, code: ErrorCode, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = headers or {}

    @property
    def status(self) -> HTTPStatus:
        """The HTTP status this code is answered with."""
        return STATUS.get(self.code, HTTPStatus.BAD_REQUEST)


def error_body(code: ErrorCode, message: str) -> dict[str, dict[str, str]]:
    """The JSON body of every error answer."""
    return {"error": {"code": code.value, "message": message}}


def _answer(error: ApiError) -> Response:
    app_metrics(current_app).errors.labels(code=error.code.value).inc()
    response = jsonify(error_body(error.code, error.message))
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


async def _api_error(error: ApiError) -> Response:
    return _answer(error)


async def _http_error(error: HTTPException) -> Response:
    code = ErrorCode.NOT_FOUND if error.code == HTTPStatus.NOT_FOUND else ErrorCode.REQUEST_INVALID
    # Werkzeug's own headers: 405 says which methods the URL allows (Allow).
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    response = _answer(ApiError(code, error.description or error.name, headers=headers))
    response.status_code = error.code or HTTPStatus.BAD_REQUEST
    return response


# Redis unreachable (down, restarting, the pool's wait for a connection over): the
# request may well succeed in a few seconds, and nothing was half done by us.
REDIS_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
STATE_RETRY_AFTER_S = 5


def state_unavailable() -> ApiError:
    """The answer while Redis is away."""
    return ApiError(
        ErrorCode.STATE_UNAVAILABLE,
        "session and quota state is unavailable; try again shortly",
        headers={"Retry-After": str(STATE_RETRY_AFTER_S)},
    )


async def _redis_unavailable(error: Exception) -> Response:
    log.warning("state unavailable: %s", error)
    return _answer(state_unavailable())


async def _unexpected(error: Exception) -> Response:
    log.exception("unhandled error", exc_info=error)
    return _answer(ApiError(ErrorCode.INTERNAL, "internal error"))


def register_error_handlers(app: Quart) -> None:
    """Answer every error in the JSON error shape."""
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    for unavailable in REDIS_UNAVAILABLE:
        app.register_error_handler(unavailable, _redis_unavailable)
    app.register_error_handler(Exception, _unexpected)
