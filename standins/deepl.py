"""A local stand-in for the DeepL API, speaking its wire format.

Paths and shapes as DeepL documents them (developers.deepl.com):
- `GET /v3/languages?resource=translate_text` (api-reference/languages,
  "Retrieve supported languages by resource"): a bare JSON array of
  `{lang, name, usable_as_source, usable_as_target, status, features}`, BCP 47
  codes; Hebrew is source and target, without formality;
- `GET /v2/languages?type=source|target`, the deprecated list the SDK still
  reads (upper-case codes, no Hebrew in it, as it never listed it);
- `POST /v2/translate` (api-reference/translate), JSON or form body (`text`
  list, `source_lang`, `target_lang`, `formality`, `glossary_id`,
  `show_billed_characters`), answering `{"translations":
  [{"detected_source_language", "text", "billed_characters"}]}`; an
  unknown language is 400 `Value for 'target_lang' not supported.`, and
  formality for a target without it is 400 too;
- `GET /v2/usage` and `GET /v2/glossaries`.
Auth by `Authorization: DeepL-Auth-Key <key>`; a wrong key is 403. Billing is
per character of source text (Unicode code points: docs resources/usage-limits),
counted in `Billing`; past `character_limit`, 456 (quota exceeded). DeepL
publishes no latency figure: `latency_ms` (200 by default) is our assumption
for one request over the internet.

Translations come from the programme's lines (`standins.programme`) and a
small phrase table; an unknown phrase comes back as `<TARGET> text`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from quart import Quart, Response, request

from standins.http import Faults, json_response, this_request
from standins.programme import translation

DEFAULT_LATENCY_MS = 200.0

_FORMALITY = {"formality": {"status": "stable"}}
_EVERYWHERE = {"glossary": {"status": "stable"}, "tag_handling": {"status": "stable"}}
V3_LANGUAGES: list[dict[str, Any]] = [
    {"lang": "de", "name": "German", "source": True, "target": True, "formal": True},
    {"lang": "en", "name": "English", "source": True, "target": False, "formal": False},
    {
        "lang": "en-GB",
        "name": "English (British)",
        "source": False,
        "target": True,
        "formal": False,
    },
    {
        "lang": "en-US",
        "name": "English (American)",
        "source": False,
        "target": True,
        "formal": False,
    },
    {"lang": "es", "name": "Spanish", "source": True, "target": True, "formal": True},
    {
        "lang": "es-419",
        "name": "Spanish (Latin American)",
        "source": False,
        "target": True,
        "formal": True,
    },
    {"lang": "fr", "name": "French", "source": True, "target": True, "formal": True},
    {"lang": "he", "name": "Hebrew", "source": True, "target": True, "formal": False},
]
SOURCE_LANGUAGES = [
    {"language": lang["lang"].upper(), "name": lang["name"]}
    for lang in V3_LANGUAGES
    if lang["source"] and lang["lang"] != "he"
]
TARGET_LANGUAGES = [
    {"language": lang["lang"].upper(), "name": lang["name"], "supports_formality": lang["formal"]}
    for lang in V3_LANGUAGES
    if lang["target"] and lang["lang"] != "he"
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


@dataclass
class Billing:
    """Characters translated (billed), and the account's limit (None: none)."""

    characters: int = 0
    character_limit: int | None = None


def v3_languages() -> list[dict[str, Any]]:
    """The `/v3/languages?resource=translate_text` answer."""
    return [
        {
            "lang": lang["lang"],
            "name": lang["name"],
            "usable_as_source": lang["source"],
            "usable_as_target": lang["target"],
            "status": "stable",
            "features": _EVERYWHERE | (_FORMALITY if lang["formal"] else {}),
        }
        for lang in V3_LANGUAGES
    ]


def _codes(kind: str) -> set[str]:
    return {lang["lang"].upper() for lang in V3_LANGUAGES if lang[kind]}


def _translate(text: str, source: str, target: str, body: dict[str, Any]) -> str:
    known = PHRASES.get((source, target), {}).get(text) or translation(text, target)
    translated = known or f"<{target}> {text}"
    if body.get("glossary_id") == GLOSSARY["glossary_id"]:
        for term, replacement in GLOSSARY_ENTRIES.items():
            translated = translated.replace(term, replacement)
    if body.get("formality") in ("less", "prefer_less") and target == "ES":
        translated += " (tú)"
    return translated


def deepl_app(
    auth_key: str,
    faults: Faults,
    *,
    latency_ms: float = 0.0,
    billing: Billing | None = None,
) -> Quart:
    """The stand-in app; `faults` plans failures and records requests."""
    app = Quart("deepl-standin")
    billed = billing or Billing()
    app.config["BILLING"] = billed

    @app.before_request
    async def fault_then_auth() -> Response | None:
        if planned := await faults.record_and_fault():
            return planned
        if request.headers.get("Authorization") != f"DeepL-Auth-Key {auth_key}":
            return json_response({"message": "Forbidden"}, 403)
        if latency_ms:
            await asyncio.sleep(latency_ms / 1000)
        return None

    @app.get("/v3/languages")
    async def languages_v3() -> Response:
        if request.args.get("resource") != "translate_text":
            return json_response({"message": "Value for 'resource' not supported."}, 400)
        return json_response(v3_languages())

    @app.get("/v2/languages")
    async def languages() -> Response:
        kind = request.args.get("type") or (await request.form).get("type", "source")
        return json_response(TARGET_LANGUAGES if kind == "target" else SOURCE_LANGUAGES)

    @app.post("/v2/translate")
    async def translate() -> Response:
        body = this_request().body
        texts = body["text"] if isinstance(body["text"], list) else [body["text"]]
        target = body["target_lang"].upper()
        source = (body.get("source_lang") or "EN").upper()
        if target not in _codes("target"):
            return json_response({"message": "Value for 'target_lang' not supported."}, 400)
        if source not in _codes("source"):
            return json_response({"message": "Value for 'source_lang' not supported."}, 400)
        formal = {lang["lang"].upper() for lang in V3_LANGUAGES if lang["formal"]}
        if body.get("formality") in ("more", "less") and target not in formal:
            message = "'formality' is not supported for given 'target_lang'."
            return json_response({"message": message}, 400)
        characters = sum(len(text) for text in texts)
        limit = billed.character_limit
        if limit is not None and billed.characters + characters > limit:
            return json_response({"message": "Quota exceeded"}, 456)
        billed.characters += characters
        translations = []
        for text in texts:
            translated = {
                "detected_source_language": source,
                "text": _translate(text, source, target, body),
            }
            if body.get("show_billed_characters"):
                translated["billed_characters"] = len(text)
            translations.append(translated)
        return json_response({"translations": translations})

    @app.get("/v2/usage")
    async def usage() -> Response:
        answer: dict[str, Any] = {"character_count": billed.characters}
        answer["character_limit"] = billed.character_limit or 1_000_000_000_000
        return json_response(answer)

    @app.get("/v2/glossaries")
    async def glossaries() -> Response:
        return json_response({"glossaries": [GLOSSARY]})

    return app
