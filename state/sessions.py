"""Sessions: who owns one, its settings, its counters, and when it stops counting.

A session is a Redis hash (`keys.session`). It is live until `expires_at`: each
`touch` pushes that out by `session_ttl_seconds` of idleness, never past
`max_session_minutes` from its creation. Liveness is judged by the caller's
clock, like quotas, and Redis's own key TTL follows it to clean up. A user may
have `max_sessions_per_user` live sessions at once; the cap is checked and the
session created in one script, and sessions that expired without being ended do
not count. An ended session stays readable (status "ended", final counters) for
another `session_ttl_seconds`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal, cast

from settings import Settings
from state import keys
from state.clock import Clock, from_ms, to_ms, utc_now
from state.errors import StateError
from state.scripts import Arg, LuaScript, ScriptCall, fields, text
from wire.audio import SessionSettings
from wire.errors import ErrorCode

_CREATE = LuaScript.load("session_create", "session_lib")
_TOUCH = LuaScript.load("session_touch", "session_lib")
_END = LuaScript.load("session_end", "session_lib")
_READ = LuaScript.load("read_hash")

SessionStatus = Literal["active", "ended"]

_REFUSALS = {
    "not_found": (ErrorCode.SESSION_NOT_FOUND, "no such session (or it expired)"),
    "forbidden": (ErrorCode.FORBIDDEN, "the session belongs to another user"),
    "ended": (ErrorCode.SESSION_ENDED, "the session has ended"),
}


@dataclass(frozen=True)
class Session:
    """A session record as Redis holds it."""

    settings: SessionSettings
    status: SessionStatus
    created_at: datetime
    last_activity: datetime
    expires_at: datetime
    audio_chunks_processed: int
    subtitles_generated: int
    processed_ms: int  # audio charged for the session (mirrors the usage ledger)
    last_seq: int  # highest audio frame sequence number received; -1 before the first
    last_event_id: str | None  # the last result event the client acknowledged, for resuming

    @property
    def session_id(self) -> str:
        """The session's id."""
        return self.settings.session_id

    @property
    def user_id(self) -> str:
        """The owner."""
        return self.settings.user_id


def _session(reply: Sequence[bytes | str]) -> Session:
    """A session from a script's reply: 'ok' followed by the hash's fields; else refuse."""
    word = text(reply[0])
    if word == "limit":
        raise StateError(ErrorCode.SESSION_LIMIT, f"{int(reply[1])} sessions are already open")
    if word != "ok":
        raise StateError(*_REFUSALS[word])
    return _record(fields(reply[1:]))


def _record(entry: dict[str, str]) -> Session:
    return Session(
        settings=SessionSettings(**json.loads(entry["settings"])),
        status=cast(SessionStatus, entry["status"]),
        created_at=from_ms(int(entry["created_ms"])),
        last_activity=from_ms(int(entry["last_activity_ms"])),
        expires_at=from_ms(int(entry["expires_ms"])),
        audio_chunks_processed=int(entry["audio_chunks_processed"]),
        subtitles_generated=int(entry["subtitles_generated"]),
        processed_ms=int(entry["processed_ms"]),
        last_seq=int(entry["last_seq"]),
        last_event_id=entry.get("last_event_id"),
    )


class Sessions:
    """Create, read, touch and end sessions. Methods return calls for a runner.

    Refusals surface when the call runs, as `StateError` with code
    SESSION_LIMIT, SESSION_NOT_FOUND, FORBIDDEN or SESSION_ENDED.
    """

    def __init__(self, cfg: Settings, clock: Clock = utc_now) -> None:
        self.idle_ms = cfg.session_ttl_seconds * 1000
        self.lifetime_ms = cfg.max_session_minutes * 60_000
        self.max_sessions = cfg.max_sessions_per_user
        self.clock = clock

    def _keys(self, session_id: str, user_id: str) -> list[str]:
        return [keys.session(session_id), keys.user_sessions(user_id)]

    def create(
        self, settings: SessionSettings, *, now: datetime | None = None
    ) -> ScriptCall[Session]:
        """Open a session for `settings.user_id` unless that user is at the cap.

        Creating a live session again for its owner returns it unchanged (a retry).
        """
        session_id, user_id = settings.session_id, settings.user_id
        args: list[Arg] = [session_id, user_id, json.dumps(asdict(settings), separators=(",", ":"))]
        args += [to_ms(now or self.clock()), self.idle_ms, self.lifetime_ms, self.max_sessions]
        return ScriptCall(_CREATE, self._keys(session_id, user_id), args, _session)

    def get(self, session_id: str, *, now: datetime | None = None) -> ScriptCall[Session | None]:
        """The session, or None if it never existed or has expired. Callers check the owner."""
        now_ms = to_ms(now or self.clock())

        def parse(reply: list[bytes | str]) -> Session | None:
            if not reply:
                return None
            entry = fields(reply)
            return _record(entry) if int(entry["expires_ms"]) > now_ms else None

        return ScriptCall(_READ, [keys.session(session_id)], [], parse)

    def touch(
        self,
        session_id: str,
        user_id: str,
        *,
        audio_chunks: int = 0,
        subtitles: int = 0,
        last_seq: int | None = None,
        last_event_id: str | None = None,
        now: datetime | None = None,
    ) -> ScriptCall[Session]:
        """Mark activity: extend the idle expiry, add to the counters, record resume points."""
        if audio_chunks < 0 or subtitles < 0:
            raise ValueError("counters only grow")
        args: list[Arg] = [session_id, user_id, to_ms(now or self.clock()), self.idle_ms]
        args += [audio_chunks, subtitles, "" if last_seq is None else last_seq]
        args.append(last_event_id or "")
        return ScriptCall(_TOUCH, self._keys(session_id, user_id), args, _session)

    def end(
        self, session_id: str, user_id: str, *, now: datetime | None = None
    ) -> ScriptCall[Session]:
        """End the session (idempotent); it no longer counts toward the owner's cap."""
        args: list[Arg] = [session_id, user_id, to_ms(now or self.clock()), self.idle_ms]
        return ScriptCall(_END, self._keys(session_id, user_id), args, _session)
