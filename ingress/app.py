"""The Quart application factory: one place that wires blueprints and shared clients."""

from __future__ import annotations

from quart import Quart

import settings
from ingress.health import health


def create_app(cfg: settings.Settings | None = None) -> Quart:
    """Build the app for the given settings (tests pass their own)."""
    app = Quart("livedub")
    app.config["LIVEDUB"] = cfg or settings.load()
    app.register_blueprint(health)
    return app
