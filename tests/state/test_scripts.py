from __future__ import annotations

import hashlib

import redis
import redis.asyncio

from settings import Settings
from state.errors import StateError
from state.quotas import Quotas
from state.scripts import AsyncScriptRunner, LuaScript, ScriptRunner, fields, text
from state.sessions import Sessions
from tests.state.conftest import NOON
from wire.audio import SessionSettings
from wire.errors import ErrorCode


def test_script_is_library_then_body_and_named_by_its_sha1() -> None:
    script = LuaScript.load("quota_status", "quota_lib")
    assert script.source.index("local function reserved_ms") < script.source.index("return {")
    assert script.sha == hashlib.sha1(script.source.encode()).hexdigest()


async def test_async_runner_reloads_after_script_flush(
    run: AsyncScriptRunner, aclient: redis.asyncio.Redis, state_cfg: Settings, user: str
) -> None:
    call = Quotas(state_cfg).get_usage(user, now=NOON)
    await aclient.script_flush()
    assert await aclient.script_exists(call.script.sha) == [False]
    assert (await run(call)).used_ms == 0
    assert await aclient.script_exists(call.script.sha) == [True]
    await aclient.script_flush()
    assert (await run(call)).used_ms == 0


def test_sync_runner_reloads_after_script_flush(
    run_sync: ScriptRunner, client: redis.Redis, state_cfg: Settings, user: str
) -> None:
    call = Quotas(state_cfg).get_usage(user, now=NOON)
    client.script_flush()
    assert run_sync(call).used_ms == 0
    assert client.script_exists(call.script.sha) == [True]
    client.script_flush()
    assert run_sync(call).used_ms == 0


async def test_replies_parse_with_decoded_responses_too(
    redis_url: str, state_cfg: Settings, user: str
) -> None:
    sessions = Sessions(state_cfg)
    settings = SessionSettings(session_id=f"s-{user}", user_id=user, voice="joe")
    decoded = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    try:
        run = AsyncScriptRunner(decoded)
        created = await run(sessions.create(settings, now=NOON))
        assert await run(sessions.get(settings.session_id, now=NOON)) == created
        assert created.settings == settings
    finally:
        await decoded.aclose()


def test_text_and_fields_accept_bytes_and_str() -> None:
    assert text(b"ok") == text("ok") == "ok"
    assert fields([b"a", "1", "b", b"2"]) == {"a": "1", "b": "2"}


def test_run_many_is_one_pipeline_that_reloads_only_what_was_missing(
    run_sync: ScriptRunner, client: redis.Redis, state_cfg: Settings, user: str
) -> None:
    from state.usage import Usage

    usage = Usage(state_cfg)
    sessions = [f"s-{user}-{i}" for i in range(3)]
    client.script_flush()
    charges = run_sync.run_many(
        [
            usage.apply_usage(s, user, "free", 1000 * (i + 1), now=NOON)
            for i, s in enumerate(sessions)
        ]
    )
    assert [c.charged_ms for c in charges] == [1000, 2000, 3000]  # each ran exactly once
    assert charges[-1].status.used_ms == 6000
    again = run_sync.run_many([usage.apply_usage(sessions[0], user, "free", 1500, now=NOON)])
    assert again[0].charged_ms == 500 and again[0].status.used_ms == 6500


async def test_async_run_many_returns_each_calls_refusal_in_its_place(
    run: AsyncScriptRunner, aclient: redis.asyncio.Redis, state_cfg: Settings, user: str
) -> None:
    sessions = Sessions(state_cfg)
    live = SessionSettings(session_id=f"s-{user}-live", user_id=user, voice="joe")
    await run(sessions.create(live, now=NOON))
    await aclient.script_flush()  # the touches' script must be loaded again, once
    outcomes = await run.run_many(
        [
            sessions.touch(live.session_id, user, audio_chunks=2, now=NOON),
            sessions.touch(f"s-{user}-missing", user, audio_chunks=1, now=NOON),
            sessions.touch(live.session_id, user, audio_chunks=3, now=NOON),
        ]
    )
    first, missing, last = outcomes
    assert isinstance(missing, StateError) and missing.code == ErrorCode.SESSION_NOT_FOUND
    assert not isinstance(first, Exception) and not isinstance(last, Exception)
    assert last.audio_chunks_processed == 5  # both touches ran, each once
