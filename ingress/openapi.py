"""The OpenAPI 3.1 document at /api/v1/openapi.json, generated from the routes and their models.

Each REST view is decorated with `operation(...)`, naming the pydantic models
it reads and answers with; the document walks the app's URL map, so a route
and its documentation cannot drift apart. Schemas come from pydantic's JSON
Schema (which OpenAPI 3.1 uses as is).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from quart import Blueprint, Quart, current_app

import settings
from ingress.access import AUTHENTICATED, WRITE_METHODS
from ingress.errors import STATUS
from ingress.models import ErrorResponse
from wire.errors import ErrorCode

F = TypeVar("F", bound=Callable[..., Any])
Mode = Literal["validation", "serialization"]
_ATTRIBUTE = "__livedub_operation__"
_REF = "#/components/schemas/{model}"
_CACHE = "livedub_openapi"
TITLE = "livedub ingress"
VERSION = "1"

openapi_api = Blueprint("openapi", __name__)


@dataclass(frozen=True)
class Operation:
    """What a route reads and answers, for the document."""

    summary: str
    responses: dict[int, type[BaseModel]]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[ErrorCode, ...] = field(default_factory=tuple)
    files: dict[int, tuple[str, ...]] = field(default_factory=dict)  # text answers: media types


def operation(
    summary: str,
    responses: dict[int, type[BaseModel]],
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    errors: tuple[ErrorCode, ...] = (),
    files: dict[int, tuple[str, ...]] | None = None,
) -> Callable[[F], F]:
    """Describe a view for the OpenAPI document (put it under the route decorator).

    `files` names the media types of answers that are text files, not JSON.
    """

    def describe(view: F) -> F:
        setattr(view, _ATTRIBUTE, Operation(summary, responses, body, query, errors, files or {}))
        return view

    return describe


def _path(rule: str) -> tuple[str, list[str]]:
    names = re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule)
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule), names


def _error_codes(method: str, authenticated: bool, op: Operation) -> dict[int, list[str]]:
    codes = list(op.errors)
    if op.body is not None or op.query is not None:
        codes.append(ErrorCode.REQUEST_INVALID)
    if authenticated:
        codes += [ErrorCode.AUTH_REQUIRED, ErrorCode.AUTH_INVALID, ErrorCode.AUTH_EXPIRED]
        codes += [
            ErrorCode.AUTH_RATE_LIMITED,
            ErrorCode.AUTH_UNAVAILABLE,
            ErrorCode.RATE_LIMITED,
            ErrorCode.STATE_UNAVAILABLE,
        ]
        if method in WRITE_METHODS:
            codes.append(ErrorCode.CSRF_INVALID)
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(int(STATUS[code]), []).append(code.value)
    return by_status


def _operation(
    method: str, op: Operation, params: list[str], authenticated: bool, refs: dict[Any, Any]
) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in params
    ]
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template=_REF)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            parameters.append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    responses: dict[str, Any] = {
        str(status): {
            "description": model.__doc__ or model.__name__,
            "content": {"application/json": {"schema": refs[(model, "serialization")]}},
        }
        for status, model in op.responses.items()
    }
    for status, media_types in op.files.items():
        responses[str(status)] = {
            "description": "a text file: " + ", ".join(media_types),
            "content": {media: {"schema": {"type": "string"}} for media in media_types},
        }
    for status, codes in _error_codes(method, authenticated, op).items():
        responses[str(status)] = {
            "description": "error: " + ", ".join(codes),
            "content": {"application/json": {"schema": refs[(ErrorResponse, "serialization")]}},
        }
    document: dict[str, Any] = {"summary": op.summary, "responses": dict(sorted(responses.items()))}
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        document["requestBody"] = {
            "required": bool(op.body.model_json_schema().get("required")),
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    if authenticated:
        document["security"] = (
            [{"bearer": [], "csrf": []}] if method in WRITE_METHODS else [{"bearer": []}]
        )
    return document


def _languages(cfg: settings.Settings) -> dict[tuple[str, str], tuple[str, ...]]:
    """The language fields a session refuses values outside of, by (schema, field)."""
    return {
        ("CreateSessionRequest", "source_language"): cfg.source_languages,
        ("CreateSessionRequest", "target_language"): cfg.supported_languages,
        ("SessionType", "subtitle_language"): cfg.supported_languages,
    }


def _restrict_languages(schemas: dict[str, Any], cfg: settings.Settings) -> None:
    """Name the configured languages as an enum: the models allow any code, the app only these."""
    for (model, name), allowed in _languages(cfg).items():
        prop = schemas.get(model, {}).get("properties", {}).get(name)
        if prop is None:
            continue
        for variant in prop.get("anyOf", [prop]):
            if variant.get("type") == "string":
                variant["enum"] = list(allowed)


def openapi_document(app: Quart) -> dict[str, Any]:
    """The document for every described route of the app."""
    described = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        op: Operation | None = getattr(view, _ATTRIBUTE, None)
        if op is None or rule.websocket:
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        described.append((rule.rule, methods, op, bool(getattr(view, AUTHENTICATED, False))))
    models: set[tuple[type[BaseModel], Mode]] = {(ErrorResponse, "serialization")}
    for _rule, _methods, op, _auth in described:
        models |= {(model, "serialization") for model in op.responses.values()}
        if op.body is not None:
            models.add((op.body, "validation"))
    refs, top = models_json_schema(
        sorted(models, key=lambda item: (item[0].__name__, item[1])), ref_template=_REF
    )
    schemas = top.get("$defs", {})
    _restrict_languages(schemas, app.config["LIVEDUB"])
    paths: dict[str, dict[str, Any]] = {}
    for rule_text, methods, op, authenticated in described:
        path, params = _path(rule_text)
        for method in methods:
            paths.setdefault(path, {})[method.lower()] = _operation(
                method, op, params, authenticated, refs
            )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "REST API of the livedub ingress. Audio streams over the WebSocket "
            "/api/v1/dubbing/ws/{session_id} (see the README).",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            },
        },
    }


@openapi_api.get("/api/v1/openapi.json")
async def openapi_json() -> dict[str, Any]:
    """The OpenAPI document (built once per app)."""
    if _CACHE not in current_app.extensions:
        current_app.extensions[_CACHE] = openapi_document(current_app)
    document: dict[str, Any] = current_app.extensions[_CACHE]
    return document
