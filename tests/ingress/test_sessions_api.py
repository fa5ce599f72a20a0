"""Sessions over REST: shapes, languages, the session cap, quota holds, ownership."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import redis.asyncio

import settings
from state.scripts import AsyncScriptRunner
from state.usage import Usage
from tests.ingress.conftest import StartApp
from tests.ingress.support import Caller


async def test_create_answers_the_session_and_its_quota(caller: Caller) -> None:
    created = await caller.create_session(
        session_type={"audio_dubbing": True, "live_subtitles": True, "subtitle_language": "es"},
        target_language="en",
        voice_id="joe",
    )
    sid = created["session_id"]
    assert created["status"] == "active"
    assert created["session_type"] == {
        "audio_dubbing": True,
        "live_subtitles": True,
        "subtitle_language": "es",
    }
    assert (created["source_language"], created["target_language"], created["voice_id"]) == (
        "he",
        "en",
        "joe",
    )
    assert created["websocket_url"] == f"ws://localhost/api/v1/dubbing/ws/{sid}"
    datetime.fromisoformat(created["created_at"])
    quota = created["quota"]
    assert quota["allowed"] is True
    assert (quota["tier"], quota["minutes_used"], quota["minutes_remaining"]) == ("free", 0, 5)
    assert quota["daily_limit_minutes"] == 5
    assert datetime.fromisoformat(quota["resets_at"]).hour == 0

    status, read = await caller.call("GET", f"/api/v1/dubbing/sessions/{sid}")
    assert status == 200
    assert read["status"] == "active"
    assert read["session_type"] == created["session_type"]
    assert (read["audio_chunks_processed"], read["subtitles_generated"]) == (0, 0)
    assert read["seconds_processed"] == 0
    assert read["created_at"] == read["last_activity_at"] == created["created_at"]

    status, ended = await caller.call("DELETE", f"/api/v1/dubbing/sessions/{sid}")
    assert status == 200
    assert (ended["session_id"], ended["status"], ended["seconds_processed"]) == (sid, "ended", 0)
    assert ended["quota"]["minutes_used"] == 0
    status, read = await caller.call("GET", f"/api/v1/dubbing/sessions/{sid}")
    assert (status, read["status"]) == (200, "ended")
    # Ending again is harmless (a retried DELETE).
    assert (await caller.call("DELETE", f"/api/v1/dubbing/sessions/{sid}"))[0] == 200


async def test_defaults_make_a_hebrew_to_english_dubbing_session(caller: Caller) -> None:
    created = await caller.create_session()
    assert created["session_type"] == {
        "audio_dubbing": True,
        "live_subtitles": False,
        "subtitle_language": None,
    }
    assert (created["source_language"], created["target_language"]) == ("he", "en")


async def test_bad_bodies_and_languages_are_refused(caller: Caller) -> None:
    path = "/api/v1/dubbing/sessions"
    cases = [
        ({"target_language": "fr"}, 400, "language_unsupported"),
        ({"source_language": "fr"}, 400, "language_unsupported"),
        (
            {"session_type": {"live_subtitles": True, "subtitle_language": "de"}},
            400,
            "language_unsupported",
        ),
        ({"session_type": {"audio_dubbing": False}}, 400, "request_invalid"),
        ({"target_language": 7}, 400, "request_invalid"),
        ({"session_type": {"audio_dubbing": 1}}, 400, "request_invalid"),  # not a boolean
        ({"unknown_field": 1}, 400, "request_invalid"),
        ([1, 2], 400, "request_invalid"),
    ]
    for body, status, code in cases:
        answer = await caller.call("POST", path, body)
        assert answer[0] == status, (body, answer)
        assert answer[1]["error"]["code"] == code
    csrf = await caller.csrf()
    response = await caller.client.post(
        path, headers={**caller.headers(csrf), "Content-Type": "application/json"}, data="{nope"
    )
    assert response.status_code == 400
    assert (await response.get_json())["error"]["code"] == "request_invalid"


async def test_a_user_may_have_three_sessions_open(caller: Caller) -> None:
    sessions = [await caller.create_session() for _ in range(3)]
    status, answer = await caller.call("POST", "/api/v1/dubbing/sessions", {})
    assert (status, answer["error"]["code"]) == (409, "session_limit")
    await caller.call("DELETE", f"/api/v1/dubbing/sessions/{sessions[0]['session_id']}")
    await caller.create_session()


async def test_the_refused_session_does_not_keep_its_quota_hold(caller: Caller) -> None:
    for _ in range(3):
        await caller.create_session()
    for _ in range(3):
        assert (await caller.call("POST", "/api/v1/dubbing/sessions", {}))[0] == 409
    status, quota = await caller.call(
        "POST", "/api/v1/dubbing/quota/check", {"estimated_minutes": 2}
    )
    assert (status, quota["allowed"]) == (200, True)  # 3 holds of 1 minute, not 6


async def test_a_free_user_without_minutes_gets_402(
    start_app: StartApp, ingress_cfg: settings.Settings, user: str, redis_url: str
) -> None:
    cfg = dataclasses.replace(ingress_cfg, free_minutes_per_day=1.0)
    caller = Caller((await start_app(cfg)).test_client(), cfg, user)
    first = await caller.create_session()
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        await AsyncScriptRunner(client)(
            Usage(cfg).apply_usage(first["session_id"], user, "free", 60_000)
        )
    finally:
        await client.aclose()
    status, answer = await caller.call("POST", "/api/v1/dubbing/sessions", {})
    assert (status, answer["error"]["code"]) == (402, "quota_exceeded")
    premium = dataclasses.replace(caller, tier="premium")
    assert (await premium.create_session())["quota"]["tier"] == "premium"


async def test_the_hold_is_capped_by_what_is_left(
    start_app: StartApp, ingress_cfg: settings.Settings, user: str
) -> None:
    cfg = dataclasses.replace(ingress_cfg, free_minutes_per_day=1.5)
    caller = Caller((await start_app(cfg)).test_client(), cfg, user)
    await caller.create_session()  # holds 1 minute
    await caller.create_session()  # holds the remaining half minute
    status, answer = await caller.call("POST", "/api/v1/dubbing/sessions", {})
    assert (status, answer["error"]["code"]) == (402, "quota_exceeded")


async def test_another_users_session_cannot_be_read_or_ended(caller: Caller) -> None:
    sid = (await caller.create_session())["session_id"]
    other = dataclasses.replace(caller, user=caller.user + "-other")
    for method in ("GET", "DELETE"):
        status, answer = await other.call(method, f"/api/v1/dubbing/sessions/{sid}")
        assert (status, answer["error"]["code"]) == (403, "forbidden")
    status, read = await caller.call("GET", f"/api/v1/dubbing/sessions/{sid}")
    assert (status, read["status"]) == (200, "active")


async def test_unknown_sessions_and_routes_are_404(caller: Caller) -> None:
    for method in ("GET", "DELETE"):
        status, answer = await caller.call(method, "/api/v1/dubbing/sessions/nope")
        assert (status, answer["error"]["code"]) == (404, "session_not_found")
    response = await caller.client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "not_found"
    response = await caller.client.put("/api/v1/config/extension")
    assert response.status_code == 405
    assert (await response.get_json())["error"]["code"] == "request_invalid"
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS"}  # RFC 9110: a 405 names them
