"""Reading JSON bodies and query strings into models; anything malformed is 400 request_invalid."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from quart import request

from ingress.errors import ApiError
from wire.errors import ErrorCode

M = TypeVar("M", bound=BaseModel)


def _invalid(exc: ValidationError) -> ApiError:
    problems = exc.errors(include_url=False, include_input=False)
    described = "; ".join(
        f"{'.'.join(str(p) for p in problem['loc']) or 'body'}: {problem['msg']}"
        for problem in problems[:5]
    )
    return ApiError(ErrorCode.REQUEST_INVALID, described)


async def read_json(model: type[M]) -> M:
    """The request's JSON body as `model` (an empty body means all defaults)."""
    raw = await request.get_data(True, False, False)  # cache, bytes, no form parsing
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            ErrorCode.REQUEST_INVALID, f"body: not UTF-8 (byte {exc.start}); send JSON"
        ) from exc
    try:
        return model.model_validate_json(text or "{}")
    except ValidationError as exc:
        raise _invalid(exc) from exc


def read_query(model: type[M]) -> M:
    """The request's query string as `model`."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise _invalid(exc) from exc
