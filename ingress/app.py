"""The Quart application factory: one place that wires blueprints and shared clients."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from quart import Quart

import settings
from ingress.auth_api import auth_api
from ingress.config_api import config_api
from ingress.cors import install_cors
from ingress.demo_page import demo_page
from ingress.dev_token_api import install_dev_tokens
from ingress.direct_websocket import DirectWebsocketConnection
from ingress.errors import register_error_handlers
from ingress.health import health
from ingress.metrics import install_metrics
from ingress.openapi import openapi_api
from ingress.quota_api import quota_api
from ingress.runtime import EXTENSION, IngressRuntime
from ingress.sessions_api import sessions_api
from ingress.subtitles_api import subtitles_api
from ingress.voices_api import voices_api
from ingress.ws_stream import stream_api
from providers.base import VoiceCatalog

MAX_BODY_BYTES = 64 * 1024  # REST bodies are a few hundred bytes; audio goes over the socket


def create_app(
    cfg: settings.Settings | None = None, *, voice_catalog: VoiceCatalog | None = None
) -> Quart:
    """Build the app for the given settings (tests pass their own).

    The voices come from `voice_catalog` if given, else from the TTS provider
    TTS_PROVIDER names (`providers.registry`).
    """
    cfg = cfg or settings.load()
    app = Quart("livedub")
    app.asgi_websocket_class = DirectWebsocketConnection
    app.config["LIVEDUB"] = cfg
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    runtime = IngressRuntime(cfg, install_metrics(app), voice_catalog)
    app.extensions[EXTENSION] = runtime
    install_cors(app, cfg.cors_origins)
    register_error_handlers(app)
    for blueprint in (
        health,
        openapi_api,
        auth_api,
        config_api,
        sessions_api,
        subtitles_api,
        quota_api,
        voices_api,
        stream_api,
        demo_page,
    ):
        app.register_blueprint(blueprint)
    install_dev_tokens(app, cfg)

    @app.while_serving
    async def connect_clients() -> AsyncGenerator[None, None]:
        try:
            await runtime.start()
            yield
        finally:
            await runtime.stop()

    return app
