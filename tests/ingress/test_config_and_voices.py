"""Configuration for the extension, and the voice catalog."""

from __future__ import annotations

import dataclasses

from providers.base import ProviderError, Voice
from standins.deepl import deepl_app
from standins.http import serving
from tests.ingress.conftest import StartApp
from tests.ingress.support import Caller
from wire.errors import ErrorCode

VOICES = [
    Voice("joe", "Joe", "en", "male", "piper"),
    Voice("ana", "Ana", "es", "female", "piper"),
]


class ListedVoices:
    """A voice catalog over a fixed list (a provider's interface; providers are tested apart)."""

    def __init__(self, voices: list[Voice], failure: ProviderError | None = None) -> None:
        self._voices = voices
        self._failure = failure

    async def voices(self, language: str | None = None) -> list[Voice]:
        if self._failure is not None:
            raise self._failure
        return [v for v in self._voices if language in (None, v.language)]


async def test_extension_config_comes_from_settings(caller: Caller) -> None:
    response = await caller.client.get("/api/v1/config/extension")
    assert response.status_code == 200
    cfg = caller.cfg
    answer = await response.get_json()
    assert answer.pop("language_pairs")
    assert answer == {
        "free_tier_minutes_per_day": cfg.free_minutes_per_day,
        "premium_tier_price_usd": cfg.premium_price_usd,
        "supported_languages": list(cfg.supported_languages),
        "supported_sites": list(cfg.supported_sites),
        "audio_sample_rate": 16000,
        "max_session_duration_minutes": cfg.max_session_minutes,
        "frame_ms": cfg.frame_ms,
        "source_languages": list(cfg.source_languages),
    }


async def test_the_config_says_which_pairs_the_offline_engines_serve(caller: Caller) -> None:
    # Offline (Apertium): English <-> Spanish; Hebrew has no translation engine.
    answer = await (await caller.client.get("/api/v1/config/extension")).get_json()
    served = {(p["source"], p["target"]): p["served"] for p in answer["language_pairs"]}
    assert served == {
        ("he", "en"): False,
        ("he", "es"): False,
        ("en", "en"): True,
        ("en", "es"): True,
        ("es", "en"): True,
        ("es", "es"): True,
    }


async def test_on_deepl_hebrew_is_served_into_english_and_spanish(
    start_app: StartApp, caller: Caller
) -> None:
    async with serving(deepl_app, "pairs-key") as (url, _):
        cfg = dataclasses.replace(
            caller.cfg,
            translation_provider="deepl",
            deepl_auth_key="pairs-key",
            deepl_server_url=url,
        )
        app = await start_app(cfg)
        answer = await (await app.test_client().get("/api/v1/config/extension")).get_json()
    assert all(pair["served"] for pair in answer["language_pairs"])


async def test_voices_by_language(start_app: StartApp, caller: Caller) -> None:
    app = await start_app(voice_catalog=ListedVoices(VOICES))
    caller = Caller(app.test_client(), caller.cfg, caller.user)
    status, answer = await caller.call("GET", "/api/v1/dubbing/voices?language=es")
    assert status == 200
    assert answer == {
        "voices": [
            {"id": "ana", "name": "Ana", "language": "es", "gender": "female", "provider": "piper"}
        ]
    }
    assert len((await caller.call("GET", "/api/v1/dubbing/voices"))[1]["voices"]) == 2
    status, answer = await caller.call("GET", "/api/v1/dubbing/voices?language=!!")
    assert (status, answer["error"]["code"]) == (400, "request_invalid")


async def test_by_default_the_voices_are_the_tts_providers(
    start_app: StartApp, caller: Caller
) -> None:
    cfg = dataclasses.replace(caller.cfg, tts_provider="noop")
    caller = Caller((await start_app(cfg)).test_client(), cfg, caller.user)
    status, answer = await caller.call("GET", "/api/v1/dubbing/voices?language=es")
    assert (status, [v["provider"] for v in answer["voices"]]) == (200, ["noop"])


async def test_a_failing_catalog_is_503(start_app: StartApp, caller: Caller) -> None:
    failing = ListedVoices([], ProviderError(ErrorCode.PROVIDER_UNAVAILABLE, "down"))
    app = await start_app(voice_catalog=failing)
    caller = Caller(app.test_client(), caller.cfg, caller.user)
    status, answer = await caller.call("GET", "/api/v1/dubbing/voices")
    assert (status, answer["error"]["code"]) == (503, "provider_unavailable")
