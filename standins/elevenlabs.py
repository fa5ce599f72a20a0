"""A local stand-in for the ElevenLabs API, speaking its wire format.

As ElevenLabs documents it (elevenlabs.io/docs):
- `POST /v1/text-to-speech/{voice_id}/stream?output_format=pcm_<rate>`, JSON
  body (`text`, `model_id`, `language_code`): raw PCM s16le mono, chunked as
  it is generated (api-reference/streaming). The audio is a tone, 60 ms per
  character; the first bytes come after `Latency.first_chunk_ms`, the rest
  at `Latency.speed` times real time, a tenth of a second of speech at a time
  (our assumption: ElevenLabs does not document its chunking).
- `GET /v1/models` (the documented languages of each model: Flash v2.5 and
  Multilingual v2 speak English and Spanish but not Hebrew, which only v3
  does: docs/models) and `GET /v1/voices`.
- Concurrency (docs/models#concurrency-and-priority): past `max_concurrency`
  requests at once, 429 with code `concurrent_limit_exceeded` (legacy status
  `too_many_concurrent_requests`).
- Errors as ElevenLabs shapes them: `{"detail": {"type", "code", "status",
  "message"}}`, 401 for a bad key, 404 for an unknown voice, 422 for an output
  format it does not serve.
- Billing per character of text (`billed_characters`).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from quart import Quart, Response, request

from standins.http import Faults, json_response, this_request

SECONDS_PER_CHARACTER = 0.06
PIECE_SECONDS = 0.1
PCM_RATES = {8000, 16000, 22050, 24000, 32000, 44100, 48000}


@dataclass(frozen=True)
class Latency:
    """How fast speech comes; defaults from ElevenLabs' figures and our assumptions.

    Flash v2.5: "~75 ms" of model time "excluding application & network
    latency" (docs/models); with a network round trip (docs: 20-200 ms) the
    first bytes come after about 150 ms. Generation then runs ahead of real
    time: 5 times it is our assumption (ElevenLabs publishes none).
    """

    first_chunk_ms: float = 150.0
    speed: float = 5.0


_SPEAKS_FLASH = ["en", "ja", "zh", "de", "hi", "fr", "ko", "pt", "it", "es", "id", "nl", "tr"]
_SPEAKS_FLASH += ["fil", "pl", "sv", "bg", "ro", "ar", "cs", "el", "fi", "hr", "ms", "sk", "da"]
_SPEAKS_FLASH += ["ta", "uk", "ru", "hu", "no", "vi"]
_SPEAKS_MULTILINGUAL = [code for code in _SPEAKS_FLASH if code not in ("hu", "no", "vi")]
_SPEAKS_V3 = [*_SPEAKS_FLASH, "he", "fa", "sw"]

VOICES: list[dict[str, Any]] = [
    {
        "voice_id": "JBFqnCBsd6RMkjVDRZzb",
        "name": "George",
        "category": "premade",
        "labels": {"gender": "male", "accent": "british"},
        "verified_languages": [{"language": "en", "model_id": "eleven_flash_v2_5"}],
    },
    {
        "voice_id": "EXAVITQu4vr4xnSDxMaL",
        "name": "Sarah",
        "category": "premade",
        "labels": {"gender": "female"},
        "verified_languages": [
            {"language": "en", "model_id": "eleven_flash_v2_5"},
            {"language": "es", "model_id": "eleven_flash_v2_5", "accent": "castilian"},
        ],
    },
    {"voice_id": "k3yV01ceCl0ne", "name": "Narrator", "category": "cloned", "labels": {}},
]


def _model(model_id: str, name: str, languages: list[str]) -> dict[str, Any]:
    return {
        "model_id": model_id,
        "name": name,
        "can_do_text_to_speech": True,
        "languages": [{"language_id": code, "name": code} for code in languages],
    }


MODELS = [
    _model("eleven_flash_v2_5", "Eleven Flash v2.5", _SPEAKS_FLASH),
    _model("eleven_multilingual_v2", "Eleven Multilingual v2", _SPEAKS_MULTILINGUAL),
    _model("eleven_v3", "Eleven v3", _SPEAKS_V3),
]


@dataclass
class Usage:
    """What the stand-in has been asked for: characters billed, requests at once."""

    billed_characters: int = 0
    running: int = 0
    most_at_once: int = 0


def _detail(code: str, message: str, status: int, kind: str = "invalid_request") -> Response:
    body = {"type": kind, "code": code, "status": code, "message": message}
    return json_response({"detail": body}, status)


def tone(seconds: float, rate: int) -> bytes:
    """A 220 Hz tone at half scale, s16le."""
    n = np.arange(round(seconds * rate))
    wave = 16384 * np.sin(2 * math.pi * 220 * n / rate)
    return np.asarray(wave, dtype="<i2").tobytes()


def elevenlabs_app(
    api_key: str,
    faults: Faults,
    *,
    latency: Latency | None = None,
    max_concurrency: int | None = None,
    usage: Usage | None = None,
) -> Quart:
    """The stand-in app; `faults` plans failures and records requests."""
    app = Quart("elevenlabs-standin")
    pace = latency or Latency(first_chunk_ms=0.0, speed=0.0)
    counted = usage or Usage()

    @app.before_request
    async def fault_then_auth() -> Response | None:
        if planned := await faults.record_and_fault():
            return planned
        if request.headers.get("xi-api-key") != api_key:
            return _detail("invalid_api_key", "Invalid API key", 401, "authentication_error")
        return None

    @app.post("/v1/text-to-speech/<voice_id>/stream")
    async def stream(voice_id: str) -> Response:
        if voice_id not in {v["voice_id"] for v in VOICES}:
            message = f"A voice with voice_id {voice_id} was not found."
            return _detail("voice_not_found", message, 404, "not_found")
        output_format = request.args.get("output_format", "mp3_44100_128")
        rate = int(output_format.removeprefix("pcm_")) if output_format.startswith("pcm_") else 0
        if rate not in PCM_RATES:
            return _detail("invalid_output_format", f"{output_format} is not served here", 422)
        if max_concurrency is not None and counted.running >= max_concurrency:
            message = f"Your plan allows {max_concurrency} concurrent requests."
            refusal = {
                "type": "rate_limit_error",
                "code": "concurrent_limit_exceeded",
                "status": "too_many_concurrent_requests",
                "message": message,
            }
            return json_response({"detail": refusal}, 429)
        body: dict[str, Any] = this_request().body
        text = str(body["text"])
        counted.billed_characters += len(text)
        audio = tone(len(text) * SECONDS_PER_CHARACTER, rate)
        counted.running += 1
        counted.most_at_once = max(counted.most_at_once, counted.running)

        async def pieces() -> AsyncIterator[bytes]:
            try:
                await asyncio.sleep(pace.first_chunk_ms / 1000)
                piece = int(rate * PIECE_SECONDS) * 2 + 1  # odd: a sample may straddle two
                for start in range(0, len(audio), piece):
                    yield audio[start : start + piece]
                    seconds = piece / 2 / rate
                    await asyncio.sleep(seconds / pace.speed if pace.speed else 0)
            finally:
                counted.running -= 1

        return Response(pieces(), content_type="application/octet-stream")

    @app.get("/v1/voices")
    async def voices() -> Response:
        return json_response({"voices": VOICES, "has_more": False})

    @app.get("/v1/models")
    async def models() -> Response:
        return json_response(MODELS)

    return app
