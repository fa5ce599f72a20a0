from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import pytest
import redis.asyncio

from settings import Settings
from state import keys
from state.errors import StateError
from state.scripts import AsyncScriptRunner
from state.sessions import Sessions
from tests.state.conftest import NOON, new_id
from wire.audio import SessionSettings
from wire.errors import ErrorCode

TTL = timedelta(seconds=900)


def settings_for(user: str, **changes: Any) -> SessionSettings:
    return dataclasses.replace(SessionSettings(session_id=new_id("s"), user_id=user), **changes)


async def refused(code: ErrorCode, call: Awaitable[object]) -> None:
    with pytest.raises(StateError) as raised:
        await call
    assert raised.value.code == code


async def test_create_returns_the_typed_record(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    settings = settings_for(
        user, live_subtitles=True, subtitle_language="es", target_language="en", voice="joe"
    )
    session = await run(Sessions(state_cfg).create(settings, now=NOON))
    assert session.settings == settings
    assert (session.session_id, session.user_id, session.status) == (
        settings.session_id,
        user,
        "active",
    )
    assert session.settings.source_language == "he"
    assert session.created_at == session.last_activity == NOON
    assert session.expires_at == NOON + TTL
    assert (session.audio_chunks_processed, session.subtitles_generated) == (0, 0)
    assert (session.processed_ms, session.last_seq, session.last_event_id) == (0, -1, None)


async def test_a_user_may_have_three_live_sessions(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    sessions = Sessions(state_cfg)
    opened = [await run(sessions.create(settings_for(user), now=NOON)) for _ in range(3)]
    await refused(ErrorCode.SESSION_LIMIT, run(sessions.create(settings_for(user), now=NOON)))
    assert await run(sessions.create(settings_for(new_id("other")), now=NOON))  # per user
    await run(sessions.end(opened[0].session_id, user, now=NOON))
    assert await run(sessions.create(settings_for(user), now=NOON))


async def test_concurrent_creates_respect_the_cap(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    sessions = Sessions(state_cfg)
    results = await asyncio.gather(
        *(run(sessions.create(settings_for(user), now=NOON)) for _ in range(20)),
        return_exceptions=True,
    )
    refusals = [r for r in results if isinstance(r, StateError)]
    assert len(results) - len(refusals) == 3
    assert {r.code for r in refusals} == {ErrorCode.SESSION_LIMIT}


async def test_expired_sessions_do_not_count_toward_the_cap(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    sessions = Sessions(state_cfg)
    for _ in range(3):
        await run(sessions.create(settings_for(user), now=NOON))
    later = NOON + TTL
    assert await run(sessions.create(settings_for(user), now=later))


async def test_touch_extends_the_idle_expiry(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    sessions = Sessions(state_cfg)
    sid = (await run(sessions.create(settings_for(user), now=NOON))).session_id
    halfway = NOON + TTL / 2
    touched = await run(sessions.touch(sid, user, now=halfway))
    assert (touched.last_activity, touched.expires_at) == (halfway, halfway + TTL)
    assert await run(sessions.get(sid, now=NOON + TTL)) is not None
    assert await run(sessions.get(sid, now=halfway + TTL)) is None
    await refused(ErrorCode.SESSION_NOT_FOUND, run(sessions.touch(sid, user, now=halfway + TTL)))


async def test_touch_never_extends_past_the_longest_session(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    sessions = Sessions(state_cfg)
    sid = (await run(sessions.create(settings_for(user), now=NOON))).session_id
    end_of_life = NOON + timedelta(minutes=120)
    moment = NOON
    while moment + TTL < end_of_life:
        moment += timedelta(minutes=10)
        touched = await run(sessions.touch(sid, user, now=moment))
    assert touched.expires_at == end_of_life
    assert await run(sessions.get(sid, now=end_of_life)) is None


async def test_redis_drops_idle_sessions_by_itself(
    run: AsyncScriptRunner, aclient: redis.asyncio.Redis, state_cfg: Settings, user: str
) -> None:
    sessions = Sessions(dataclasses.replace(state_cfg, session_ttl_seconds=1))
    sid = (await run(sessions.create(settings_for(user)))).session_id
    assert 0 < await aclient.pttl(keys.session(sid)) <= 1000
    assert 0 < await aclient.pttl(keys.user_sessions(user)) <= 1000
    await asyncio.sleep(1.2)
    assert await aclient.exists(keys.session(sid), keys.user_sessions(user)) == 0
    assert await run(sessions.get(sid)) is None


async def test_only_the_owner_may_touch_or_end(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    sessions, intruder = Sessions(state_cfg), new_id("intruder")
    settings = settings_for(user)
    await run(sessions.create(settings, now=NOON))
    await refused(ErrorCode.FORBIDDEN, run(sessions.touch(settings.session_id, intruder, now=NOON)))
    await refused(ErrorCode.FORBIDDEN, run(sessions.end(settings.session_id, intruder, now=NOON)))
    hijack = dataclasses.replace(settings, user_id=intruder)
    await refused(ErrorCode.FORBIDDEN, run(sessions.create(hijack, now=NOON)))
    record = await run(sessions.get(settings.session_id, now=NOON))
    assert record is not None
    assert (record.user_id, record.status) == (user, "active")


async def test_creating_again_is_a_retry_not_a_second_session(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    sessions, settings = Sessions(state_cfg), settings_for(user)
    first = await run(sessions.create(settings, now=NOON))
    for _ in range(3):
        assert await run(sessions.create(settings, now=NOON + timedelta(seconds=1))) == first
    for _ in range(2):
        await run(sessions.create(settings_for(user), now=NOON))
    await refused(ErrorCode.SESSION_LIMIT, run(sessions.create(settings_for(user), now=NOON)))


async def test_touch_counts_and_keeps_resume_points(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    sessions = Sessions(state_cfg)
    sid = (await run(sessions.create(settings_for(user), now=NOON))).session_id
    await run(sessions.touch(sid, user, audio_chunks=5, last_seq=4, now=NOON))
    await run(sessions.touch(sid, user, subtitles=2, last_event_id="s:3:subtitle:0", now=NOON))
    late_frame = await run(sessions.touch(sid, user, audio_chunks=1, last_seq=2, now=NOON))
    assert (late_frame.audio_chunks_processed, late_frame.subtitles_generated) == (6, 2)
    assert (late_frame.last_seq, late_frame.last_event_id) == (4, "s:3:subtitle:0")
    with pytest.raises(ValueError):
        sessions.touch(sid, user, audio_chunks=-1)


async def test_an_ended_session_stays_readable_then_goes(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    sessions = Sessions(state_cfg)
    sid = (await run(sessions.create(settings_for(user), now=NOON))).session_id
    await run(sessions.touch(sid, user, audio_chunks=3, now=NOON))
    ended_at = NOON + timedelta(seconds=30)
    ended = await run(sessions.end(sid, user, now=ended_at))
    assert (ended.status, ended.audio_chunks_processed, ended.expires_at) == (
        "ended",
        3,
        ended_at + TTL,
    )
    assert await run(sessions.end(sid, user, now=ended_at + timedelta(seconds=5))) == ended
    await refused(ErrorCode.SESSION_ENDED, run(sessions.touch(sid, user, now=ended_at)))
    assert await run(sessions.get(sid, now=ended_at + TTL / 2)) == ended
    assert await run(sessions.get(sid, now=ended_at + TTL)) is None
    await refused(ErrorCode.SESSION_NOT_FOUND, run(sessions.end(sid, user, now=ended_at + TTL)))


async def test_unknown_sessions_are_not_found(
    run: AsyncScriptRunner, state_cfg: Settings, user: str
) -> None:
    sessions, sid = Sessions(state_cfg), new_id("s")
    assert await run(sessions.get(sid, now=NOON)) is None
    await refused(ErrorCode.SESSION_NOT_FOUND, run(sessions.touch(sid, user, now=NOON)))
    await refused(ErrorCode.SESSION_NOT_FOUND, run(sessions.end(sid, user, now=NOON)))
