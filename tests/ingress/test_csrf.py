"""CSRF tokens: bound to a user, expiring, required on every write."""

from __future__ import annotations

import dataclasses

import pytest

import settings
from ingress.csrf import CsrfTokens
from ingress.errors import ApiError
from tests.ingress.support import Caller
from wire.errors import ErrorCode


def refusal(tokens: CsrfTokens, user: str, token: str | None) -> str:
    with pytest.raises(ApiError) as raised:
        tokens.check(user, token)
    assert raised.value.code == ErrorCode.CSRF_INVALID
    return raised.value.message


def test_a_token_is_bound_to_its_user_and_expires() -> None:
    now = [1_000_000.0]
    cfg = dataclasses.replace(settings.load(), csrf_ttl_seconds=60)
    tokens = CsrfTokens(cfg, clock=lambda: now[0])
    token, expires_at = tokens.issue("alice")
    assert expires_at.timestamp() == 1_000_060
    tokens.check("alice", token)
    assert "not valid" in refusal(tokens, "bob", token)
    expires, _, signature = token.partition(".")
    assert "not valid" in refusal(tokens, "alice", f"{int(expires) + 999}.{signature}")
    assert "missing" in refusal(tokens, "alice", None)
    assert "not valid" in refusal(tokens, "alice", "garbage")
    now[0] += 61
    assert "expired" in refusal(tokens, "alice", token)


def test_another_secret_makes_other_tokens() -> None:
    cfg = settings.load()
    token, _ = CsrfTokens(cfg).issue("alice")
    other = CsrfTokens(dataclasses.replace(cfg, csrf_secret="another secret"))
    refusal(other, "alice", token)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/dubbing/sessions", {}),
        ("POST", "/api/v1/dubbing/quota/check", {}),
        ("POST", "/api/v1/dubbing/usage/sync", {"client_minutes_used": 1}),
        ("DELETE", "/api/v1/dubbing/sessions/whatever", None),
    ],
)
async def test_writes_without_a_valid_csrf_token_are_refused(
    caller: Caller, method: str, path: str, body: object
) -> None:
    someone_else = dataclasses.replace(caller, user=caller.user + "-other")
    for headers in (
        caller.headers(),
        caller.headers(csrf="1.garbage"),
        caller.headers(csrf=await someone_else.csrf()),
    ):
        response = await caller.client.open(path, method=method, headers=headers, json=body)
        assert response.status_code == 403
        assert (await response.get_json())["error"]["code"] == "csrf_invalid"
    response = await caller.client.open(
        path, method=method, headers=caller.headers(await caller.csrf()), json=body
    )
    assert response.status_code != 403


@pytest.mark.parametrize(
    "forged",
    [
        "\u00b2.signature",  # a digit to str.isdigit(), not to int()
        "1\u00b2\u00b3.signature",
        "9" * 5000 + ".signature",  # past int()'s 4,300 digits
        "99999999999999999999.signature",
        "1.sign\u00e9ture",  # hmac.compare_digest refuses non-ASCII str
        "\u0661\u0662.signature",  # Arabic-Indic digits
    ],
)
async def test_forged_expiries_and_signatures_are_refused_not_crashed(
    caller: Caller, forged: str
) -> None:
    tokens = CsrfTokens(settings.load())
    assert "not valid" in refusal(tokens, "alice", forged)
    response = await caller.client.post(
        "/api/v1/dubbing/quota/check", headers=caller.headers(csrf=forged), json={}
    )
    assert response.status_code == 403
    assert (await response.get_json())["error"]["code"] == "csrf_invalid"
