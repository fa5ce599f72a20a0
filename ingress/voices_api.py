"""The voices dubbing can speak with, from the configured text-to-speech provider's catalog."""

from __future__ import annotations

from quart import Blueprint

from ingress.access import user_endpoint
from ingress.auth import Identity
from ingress.errors import ApiError
from ingress.models import VoiceOption, VoicesQuery, VoicesResponse
from ingress.openapi import operation
from ingress.request_bodies import read_query
from ingress.runtime import current_runtime
from providers.base import ProviderError
from wire.errors import ErrorCode

voices_api = Blueprint("voices", __name__, url_prefix="/api/v1/dubbing")


@voices_api.get("/voices")
@operation(
    "Voices for a language (or all)",
    {200: VoicesResponse},
    query=VoicesQuery,
    errors=(ErrorCode.PROVIDER_UNAVAILABLE,),
)
@user_endpoint
async def list_voices(identity: Identity) -> tuple[dict[str, object], int]:
    """The catalog's voices, optionally for one language."""
    query = read_query(VoicesQuery)
    try:
        voices = await current_runtime().voice_catalog.voices(query.language)
    except ProviderError as exc:
        raise ApiError(ErrorCode.PROVIDER_UNAVAILABLE, str(exc)) from exc
    answer = VoicesResponse(
        voices=[
            VoiceOption(
                id=v.id, name=v.name, language=v.language, gender=v.gender, provider=v.provider
            )
            for v in voices
        ]
    )
    return answer.model_dump(mode="json"), 200
