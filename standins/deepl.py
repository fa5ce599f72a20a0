"""A local stand-in for the DeepL API v2, speaking its wire format.

Paths and shapes as DeepL serves them:
- `GET /v2/languages?type=source|target`;
- `POST /v2/translate`, JSON body (`text` list, `source_lang`, `target_lang`,
  `formality`, `glossary_id`, `show_billed_characters`), answering
  `{"translations": [{"detected_source_language", "text", "billed_characters"}]}`;
- `GET /v2/glossaries`.
Auth by the `Authorization: DeepL-Auth-Key <key>` header; a wrong key is answered
403, as DeepL does. Translations come from a small phrase table; an unknown
phrase comes back as `<TARGET> text`.
"""

from __future__ import annotations

from typing import Any

from quart import Quart, Response, request

from standins.http import Faults, json_response

SOURCE_LANGUAGES = [
    {"language": "DE", "name": "German"},
    {"language": "EN", "name": "English"},
    {"language": "ES", "name": "Spanish"},
]
TARGET_LANGUAGES = [
    {"language": "DE", "name": "German", "supports_formality": True},
    {"language": "EN-GB", "name": "English (British)", "supports_formality": False},
    {"language": "EN-US", "name": "English (American)", "supports_formality": False},
    {"language": "ES", "name": "Spanish", "supports_formality": True},
]
PHRASES = {
    ("EN", "ES"): {
        "Good morning.": "Buenos días.",
        "The weather is nice today.": "Hoy hace buen tiempo.",
        "Big Brother starts now.": "Big Brother empieza ahora.",
    },
    ("ES", "EN-US"): {"Buenos días.": "Good morning."},
}
GLOSSARY = {
    "glossary_id": "def3a26b-3e84-45b3-84ae-0c0aaf3525f7",
    "name": "livedub-shows",
    "ready": True,
    "source_lang": "en",
    "target_lang": "es",
    "creation_time": "2024-05-01T12:00:00.000000Z",
    "entry_count": 1,
}
GLOSSARY_ENTRIES = {"Big Brother": "Gran Hermano"}


def _translate(text: str, source: str, target: str, body: dict[str, Any]) -> str:
    translated = PHRASES.get((source, target), {}).get(text, f"<{target}> {text}")
    if body.get("glossary_id") == GLOSSARY["glossary_id"]:
        for term, replacement in GLOSSARY_ENTRIES.items():
            translated = translated.replace(term, replacement)
    if body.get("formality") in ("less", "prefer_less") and target == "ES":
        translated += " (tú)"
    return translated


def deepl_app(auth_key: str, faults: Faults) -> Quart:
    """The stand-in app; `faults` plans failures and records requests."""
    app = Quart("deepl-standin")

    @app.before_request
    async def fault_then_auth() -> Response | None:
        if planned := await faults.record_and_fault():
            return planned
        if request.headers.get("Authorization") != f"DeepL-Auth-Key {auth_key}":
            return json_response({"message": "Forbidden"}, 403)
        return None

    @app.get("/v2/languages")
    async def languages() -> Response:
        kind = request.args.get("type") or (await request.form).get("type", "source")
        return json_response(TARGET_LANGUAGES if kind == "target" else SOURCE_LANGUAGES)

    @app.post("/v2/translate")
    async def translate() -> Response:
        body = faults.seen[-1].body
        texts = body["text"] if isinstance(body["text"], list) else [body["text"]]
        target = body["target_lang"].upper()
        source = (body.get("source_lang") or "EN").upper()
        if target == "EN":
            return json_response({"message": "Value for 'target_lang' not supported."}, 400)
        translations = []
        for text in texts:
            translation = {
                "detected_source_language": source,
                "text": _translate(text, source, target, body),
            }
            if body.get("show_billed_characters"):
                translation["billed_characters"] = len(text)
            translations.append(translation)
        return json_response({"translations": translations})

    @app.get("/v2/glossaries")
    async def glossaries() -> Response:
        return json_response({"glossaries": [GLOSSARY]})

    return app
