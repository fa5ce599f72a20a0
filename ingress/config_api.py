"""What the extension reads at start-up, all from configuration (public: no token needed)."""

from __future__ import annotations

from quart import Blueprint

from ingress.models import ExtensionConfigResponse
from ingress.openapi import operation
from ingress.runtime import current_runtime

config_api = Blueprint("config", __name__, url_prefix="/api/v1/config")


@config_api.get("/extension")
@operation("The extension's configuration", {200: ExtensionConfigResponse})
async def extension_config() -> tuple[dict[str, object], int]:
    """Limits, prices, languages (and which pairs are served), sites and audio format."""
    runtime = current_runtime()
    cfg = runtime.cfg
    answer = ExtensionConfigResponse(
        free_tier_minutes_per_day=cfg.free_minutes_per_day,
        premium_tier_price_usd=cfg.premium_price_usd,
        supported_languages=list(cfg.supported_languages),
        supported_sites=list(cfg.supported_sites),
        audio_sample_rate=cfg.sample_rate,
        max_session_duration_minutes=cfg.max_session_minutes,
        frame_ms=cfg.frame_ms,
        source_languages=list(cfg.source_languages),
        language_pairs=await runtime.language_pairs.pairs(),
    )
    return answer.model_dump(mode="json"), 200
