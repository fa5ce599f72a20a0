"""CORS for the extension's origin(s) only (CORS_ORIGINS), without an extra dependency.

Allowed origins get their origin echoed back (never `*`) on every answer, and
preflight requests are answered before authentication runs. Other origins get
no CORS headers, so browsers keep their pages from reading the answers.
"""

from __future__ import annotations

from quart import Quart, Response, request

ALLOWED_METHODS = "GET, POST, PUT, DELETE, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, X-CSRF-Token"
EXPOSED_HEADERS = "Retry-After"
PREFLIGHT_MAX_AGE = "600"


def install_cors(app: Quart, origins: tuple[str, ...]) -> None:
    """Answer preflights and label responses for the configured origins."""
    allowed = frozenset(origins)

    async def preflight() -> Response | None:
        if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
            return None
        response = Response("", status=204)
        origin = request.headers.get("Origin")
        if origin in allowed:
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response

    async def label(response: Response) -> Response:
        origin = request.headers.get("Origin")
        response.vary.add("Origin")
        if origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response

    app.before_request(preflight)
    app.after_request(label)
