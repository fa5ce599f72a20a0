"""The OpenAPI document is generated from the routes and models and is self-consistent."""

from __future__ import annotations

from typing import Any

from ingress.models import SessionResponse
from tests.ingress.support import Caller


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


async def test_the_document_covers_every_endpoint(caller: Caller) -> None:
    response = await caller.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = await response.get_json()
    assert document["openapi"].startswith("3.")
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    assert operations == {
        ("/api/v1/auth/csrf", "get"),
        ("/api/v1/config/extension", "get"),
        ("/api/v1/dubbing/quota/check", "post"),
        ("/api/v1/dubbing/sessions", "post"),
        ("/api/v1/dubbing/sessions/{session_id}", "delete"),
        ("/api/v1/dubbing/sessions/{session_id}", "get"),
        ("/api/v1/dubbing/sessions/{session_id}/subtitles", "get"),
        ("/api/v1/dubbing/usage/sync", "post"),
        ("/api/v1/dubbing/voices", "get"),
    }
    schemas = document["components"]["schemas"]
    for ref in refs(document):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas
    # The schema is the model's own.
    assert set(schemas["SessionResponse"]["properties"]) == set(SessionResponse.model_fields)

    create = document["paths"]["/api/v1/dubbing/sessions"]["post"]
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SessionResponse"
    }
    assert {"400", "401", "402", "403", "409", "429"} <= set(create["responses"])
    assert create["security"] == [{"bearer": [], "csrf": []}]
    assert create["requestBody"]["required"] is False  # every field has a default

    session = document["paths"]["/api/v1/dubbing/sessions/{session_id}"]["get"]
    assert session["parameters"][0] == {
        "name": "session_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    subtitles = document["paths"]["/api/v1/dubbing/sessions/{session_id}/subtitles"]["get"]
    assert set(subtitles["responses"]["200"]["content"]) == {"text/vtt", "application/x-subrip"}
    assert [p["name"] for p in subtitles["parameters"]] == ["session_id", "format", "track"]
    assert {"400", "401", "403", "404", "429"} <= set(subtitles["responses"])
    voices = document["paths"]["/api/v1/dubbing/voices"]["get"]
    assert [p["name"] for p in voices["parameters"]] == ["language"]
    assert "security" not in document["paths"]["/api/v1/config/extension"]["get"]
    sync = document["paths"]["/api/v1/dubbing/usage/sync"]["post"]
    assert sync["requestBody"]["required"] is True


async def test_the_document_names_the_languages_a_session_accepts(caller: Caller) -> None:
    schemas = (await (await caller.client.get("/api/v1/openapi.json")).get_json())["components"][
        "schemas"
    ]
    create = schemas["CreateSessionRequest"]["properties"]
    assert create["source_language"]["enum"] == list(caller.cfg.source_languages)
    assert create["target_language"]["enum"] == list(caller.cfg.supported_languages)
    subtitle = schemas["SessionType"]["properties"]["subtitle_language"]["anyOf"]
    assert {"type": "null"} in subtitle
    assert [v["enum"] for v in subtitle if v.get("type") == "string"] == [
        list(caller.cfg.supported_languages)
    ]
    # Neither dubbing nor subtitles is refused, and the document says so.
    assert schemas["SessionType"]["not"]["properties"] == {
        "audio_dubbing": {"const": False},
        "live_subtitles": {"const": False},
    }
