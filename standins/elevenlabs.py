"""A local stand-in for the ElevenLabs API, speaking its wire format.

`POST /v1/text-to-speech/{voice_id}/stream?output_format=pcm_<rate>` with a
JSON body (`text`, `model_id`, `language_code`) streams raw PCM s16le mono
(a tone, 60 ms per character, in odd-sized pieces as a network delivers them);
`GET /v1/voices` and `GET /v1/models` list voices and models. Auth by the
`xi-api-key` header; errors as ElevenLabs shapes them (`{"detail": {"status",
"message"}}`, 401 for a bad key, 404 for an unknown voice).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

from quart import Quart, Response, request

from standins.http import Faults, json_response

SECONDS_PER_CHARACTER = 0.06
PIECE_BYTES = 1001  # odd on purpose: a sample may straddle two pieces
PCM_RATES = {8000, 16000, 22050, 24000, 32000, 44100, 48000}

VOICES = [
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
MODELS = [
    {
        "model_id": "eleven_flash_v2_5",
        "name": "Eleven Flash v2.5",
        "can_do_text_to_speech": True,
        "languages": [
            {"language_id": "en", "name": "English"},
            {"language_id": "es", "name": "Spanish"},
            {"language_id": "de", "name": "German"},
        ],
    },
    {
        "model_id": "eleven_multilingual_v2",
        "name": "Eleven Multilingual v2",
        "can_do_text_to_speech": True,
        "languages": [{"language_id": "en", "name": "English"}],
    },
]


def _detail(status: str, message: str, code: int) -> Response:
    return json_response({"detail": {"status": status, "message": message}}, code)


def tone(seconds: float, rate: int) -> bytes:
    """A 220 Hz tone at half scale, s16le."""
    samples = round(seconds * rate)
    return b"".join(
        int(16384 * math.sin(2 * math.pi * 220 * n / rate)).to_bytes(2, "little", signed=True)
        for n in range(samples)
    )


def elevenlabs_app(api_key: str, faults: Faults) -> Quart:
    """The stand-in app; `faults` plans failures and records requests."""
    app = Quart("elevenlabs-standin")

    @app.before_request
    async def fault_then_auth() -> Response | None:
        if planned := await faults.record_and_fault():
            return planned
        if request.headers.get("xi-api-key") != api_key:
            return _detail("invalid_api_key", "Invalid API key", 401)
        return None

    @app.post("/v1/text-to-speech/<voice_id>/stream")
    async def stream(voice_id: str) -> Response:
        if voice_id not in {v["voice_id"] for v in VOICES}:
            message = f"A voice with voice_id {voice_id} was not found."
            return _detail("voice_not_found", message, 404)
        output_format = request.args.get("output_format", "mp3_44100_128")
        rate = int(output_format.removeprefix("pcm_")) if output_format.startswith("pcm_") else 0
        if rate not in PCM_RATES:
            return _detail("invalid_output_format", f"{output_format} is not served here", 422)
        body = faults.seen[-1].body
        audio = tone(len(body["text"]) * SECONDS_PER_CHARACTER, rate)

        async def pieces() -> AsyncIterator[bytes]:
            for start in range(0, len(audio), PIECE_BYTES):
                yield audio[start : start + PIECE_BYTES]
                await asyncio.sleep(0)

        return Response(pieces(), content_type="application/octet-stream")

    @app.get("/v1/voices")
    async def voices() -> Response:
        return json_response({"voices": VOICES, "has_more": False})

    @app.get("/v1/models")
    async def models() -> Response:
        return json_response(MODELS)

    return app
