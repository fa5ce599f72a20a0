"""The sockets' session state, written for all of them in one Redis round trip per interval.

Each stream socket counts frames and final subtitles, keeps its newest
sequence number and acknowledged cursor, and collects the final subtitles and
transcripts it delivered (`state.subtitle_log`). Every WS_STATE_FLUSH_SECONDS
this process takes what changed on each of its sockets and writes it in one
pipeline: one touch per session (idle expiry, counters, resume point) and one
subtitle-log write per socket that delivered some, then one cursor update per
socket that has a new acknowledgement. The log is written before the cursor:
a stored cursor never points past a delivered event the log lacks, so a
reconnect's replay, which starts at the cursor, can fill in what a dead
process had not written. A socket also writes its own state when it closes.

One round trip for hundreds of sockets instead of one each: under load the
per-call cost of a Redis command (a task, a pool checkout, a reply) was a large
share of the ingress's CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from redis.exceptions import RedisError

from state.errors import StateError
from state.result_routes import ResultCursor, ResultRoutes
from state.scripts import AsyncScriptRunner, ScriptCall
from state.sessions import Session, Sessions
from state.subtitle_log import LoggedEvent, SubtitleLogs

log = logging.getLogger(__name__)

# A zero interval (tests: write after every message) still yields between rounds.
MIN_INTERVAL_S = 0.01


@dataclass(frozen=True)
class StateDelta:
    """What one socket changed since its last write."""

    session_id: str
    user_id: str
    frames: int
    subtitles: int
    last_seq: int | None
    cursor: ResultCursor | None
    cues: tuple[LoggedEvent, ...] = ()  # final subtitles and transcripts delivered

    def touch(self, sessions: Sessions) -> ScriptCall[Session]:
        """The session write: expiry, counters and resume point."""
        return sessions.touch(
            self.session_id,
            self.user_id,
            audio_chunks=self.frames,
            subtitles=self.subtitles,
            last_seq=self.last_seq,
            last_event_id=self.cursor.event_id if self.cursor else None,
        )


class StateSource(Protocol):
    """A socket whose state the flusher writes."""

    def take_state(self) -> StateDelta | None:
        """What changed since the last write (None: nothing); the socket forgets it."""
        ...

    def restore_state(self, delta: StateDelta) -> None:
        """The write failed: keep `delta` for the next one."""
        ...

    def state_refused(self, refusal: StateError) -> None:
        """The session is gone (ended, expired or no longer this user's)."""
        ...


async def write_state(
    run: AsyncScriptRunner,
    sessions: Sessions,
    routes: ResultRoutes,
    logs: SubtitleLogs,
    deltas: list[StateDelta],
) -> list[StateError | None]:
    """Write the deltas and subtitle logs in one pipeline, then the cursors; refusals per socket.

    Raises RedisError when Redis cannot be reached or a log write failed (the
    caller keeps every delta for the next round; log writes repeat harmlessly).
    Cursor writes are best effort: a later acknowledgement moves the cursor further.
    """
    touches: list[ScriptCall[Session | None]] = [delta.touch(sessions) for delta in deltas]
    touches += [logs.add(delta.session_id, list(delta.cues)) for delta in deltas if delta.cues]
    outcomes = await run.run_many(touches)
    for outcome in outcomes[len(deltas) :]:
        if isinstance(outcome, Exception):
            raise RedisError(f"a subtitle log was not written: {outcome}")
    refusals: list[StateError | None] = []
    for outcome in outcomes[: len(deltas)]:
        if isinstance(outcome, StateError):
            refusals.append(outcome)
        elif isinstance(outcome, Exception):
            raise outcome
        else:
            refusals.append(None)
    acks = [
        routes.acknowledge(delta.session_id, delta.cursor)
        for delta, refusal in zip(deltas, refusals, strict=True)
        if delta.cursor is not None and refusal is None
    ]
    if acks:
        with contextlib.suppress(RedisError):
            await run.run_many(acks)
    return refusals


class StateFlusher:
    """The periodic write of every local socket's state."""

    def __init__(
        self,
        write: Callable[[list[StateDelta]], Awaitable[list[StateError | None]]],
        sources: Mapping[str, StateSource],
        interval_s: float,
    ) -> None:
        self._write = write
        self._sources = sources
        self._interval_s = max(interval_s, MIN_INTERVAL_S)

    async def run_forever(self) -> None:
        """Write every interval until cancelled."""
        while True:
            await asyncio.sleep(self._interval_s)
            await self.flush()

    async def flush(self) -> None:
        """One round: take every socket's changes and write them together."""
        taken = [
            (source, delta)
            for source in list(self._sources.values())
            if (delta := source.take_state()) is not None
        ]
        if not taken:
            return
        deltas = [delta for _, delta in taken]
        try:
            refusals = await self._write(deltas)
        except RedisError:
            # Audio does not need Redis: keep streaming, keep the changes for the next round.
            log.warning("state of %d streams not saved (Redis unreachable); retrying", len(taken))
        except Exception:
            # This task writes for every socket of the process: one bad round must not end it.
            log.exception("state of %d streams not saved; retrying", len(taken))
        else:
            for (source, _), refusal in zip(taken, refusals, strict=True):
                if refusal is not None:
                    source.state_refused(refusal)
            return
        for source, delta in taken:
            source.restore_state(delta)
