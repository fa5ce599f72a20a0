"""Request bodies: anything that is not a JSON object of the model is 400 request_invalid."""

from __future__ import annotations

import pytest

from tests.ingress.support import Caller

WRITES = ["/api/v1/dubbing/sessions", "/api/v1/dubbing/quota/check", "/api/v1/dubbing/usage/sync"]


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe",  # not UTF-8 at all
        b'{"client_minutes_used": 1, "note": "\xe9"}',  # Latin-1 inside JSON
        b'{"source_language": "\xed\xa0\x80"}',  # an encoded surrogate
        b"\xc3",  # a truncated sequence
    ],
)
async def test_bodies_that_are_not_utf8_are_400(caller: Caller, path: str, body: bytes) -> None:
    headers = {**caller.headers(await caller.csrf()), "Content-Type": "application/json"}
    response = await caller.client.post(path, headers=headers, data=body)
    assert response.status_code == 400
    error = (await response.get_json())["error"]
    assert error["code"] == "request_invalid"
    assert "UTF-8" in error["message"]


@pytest.mark.parametrize("path", WRITES)
async def test_an_escaped_lone_surrogate_is_400(caller: Caller, path: str) -> None:
    headers = {**caller.headers(await caller.csrf()), "Content-Type": "application/json"}
    response = await caller.client.post(path, headers=headers, data=b'{"voice_id": "\\ud800"}')
    assert response.status_code == 400
    assert (await response.get_json())["error"]["code"] == "request_invalid"
