"""How Hypercorn is configured: keepalive pings, message limits, an access log without secrets."""

from __future__ import annotations

from hypercorn.logging import AccessLogAtoms

import settings
from ingress.__main__ import hypercorn_config


def test_the_access_log_leaves_out_headers_and_query_strings() -> None:
    config = hypercorn_config(settings.load(), "127.0.0.1:0")
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/v1/auth/csrf",
        "query_string": b"token=secret-in-query",
        "headers": [(b"authorization", b"Bearer secret-token"), (b"x-csrf-token", b"csrf-value")],
        "client": ("127.0.0.1", 5000),
    }
    atoms = AccessLogAtoms(scope, {"status": 200, "headers": []}, 0.01)  # type: ignore[arg-type]
    line = config.access_log_format % atoms
    assert "/api/v1/auth/csrf" in line and "200" in line
    for secret in ("secret-token", "secret-in-query", "csrf-value", "Bearer"):
        assert secret not in line


def test_sockets_are_pinged_and_messages_bounded() -> None:
    cfg = settings.load()
    config = hypercorn_config(cfg, "127.0.0.1:8080")
    assert config.bind == ["127.0.0.1:8080"]
    assert config.websocket_ping_interval == cfg.ws_ping_interval_seconds
    assert 32_000 < config.websocket_max_message_size <= 1024 * 1024
