"""Where a session's results go, and how far its client has acknowledged them.

The ingress holding a session's socket names a results partition (its reply
partition) in the session's start record, and the flow routes the session's
events there. `register` records that partition together with the offset the
ingress's live consumer had reached when the socket registered: no event of
this stint on that partition can be older. It answers the route as it was
before, which is where a reconnect replays missed events from. `acknowledge`
keeps the (partition, offset) of the last event the client acknowledged: the
cursor a replay starts at. See the README's "Results fan-out".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from settings import Settings
from state import keys
from state.scripts import Arg, LuaScript, ScriptCall, fields

_UPDATE = LuaScript.load("hash_update")
_READ = LuaScript.load("read_hash")
_STINT = "start:"


@dataclass(frozen=True)
class ResultCursor:
    """The last result event a client acknowledged, by its place on the results topic."""

    partition: int
    offset: int
    event_id: str


@dataclass(frozen=True)
class ResultRoute:
    """A session's routing history as far as a replay needs it."""

    partition: int | None = None  # the reply partition last registered; None: never
    stint_starts: dict[int, int] = field(default_factory=dict)  # partition -> latest stint start
    cursor: ResultCursor | None = None

    @property
    def stint_start(self) -> int | None:
        """Where the session's events on its last reply partition begin."""
        return None if self.partition is None else self.stint_starts.get(self.partition)


def _route(reply: list[bytes | str]) -> ResultRoute:
    entry = fields(reply)
    starts = {int(k[len(_STINT) :]): int(v) for k, v in entry.items() if k.startswith(_STINT)}
    cursor = None
    if "cursor_partition" in entry:
        cursor = ResultCursor(
            int(entry["cursor_partition"]), int(entry["cursor_offset"]), entry["cursor_event"]
        )
    partition = int(entry["partition"]) if "partition" in entry else None
    return ResultRoute(partition, starts, cursor)


class ResultRoutes:
    """Record and read result routes. Methods return calls for a runner."""

    def __init__(self, cfg: Settings) -> None:
        # As long as a session can live, plus the idle time after which it is gone anyway.
        self.ttl_ms = cfg.max_session_minutes * 60_000 + cfg.session_ttl_seconds * 1000

    def register(
        self, session_id: str, partition: int, start_offset: int
    ) -> ScriptCall[ResultRoute]:
        """Route the session to `partition` from `start_offset` on; answer the route before."""
        args: list[Arg] = [self.ttl_ms, "partition", partition, f"{_STINT}{partition}"]
        args.append(start_offset)
        return ScriptCall(_UPDATE, [keys.result_route(session_id)], args, _route)

    def acknowledge(self, session_id: str, cursor: ResultCursor) -> ScriptCall[ResultRoute]:
        """Move the session's cursor to the client's latest acknowledged event."""
        args: list[Arg] = [self.ttl_ms, "cursor_partition", cursor.partition]
        args += ["cursor_offset", cursor.offset, "cursor_event", cursor.event_id]
        return ScriptCall(_UPDATE, [keys.result_route(session_id)], args, _route)

    def get(self, session_id: str) -> ScriptCall[ResultRoute | None]:
        """The session's route, or None if no socket ever registered (or it expired)."""
        return ScriptCall(
            _READ, [keys.result_route(session_id)], [], lambda r: _route(r) if r else None
        )
