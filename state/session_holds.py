"""The quota reservation a session holds, kept so that whichever process ends it can settle it.

A session is created by a REST call on one ingress process and may be ended on
another (DELETE, or the client's `end` on a socket elsewhere), so the
reservation made at creation is written next to the session. The record lives
as long as the hold itself can (`max_session_minutes`); settling twice
releases nothing the second time, so no process needs to delete it.
"""

from __future__ import annotations

from datetime import date

from settings import Settings
from state import keys
from state.quotas import QuotaPolicy, Reservation
from state.scripts import Arg, LuaScript, ScriptCall, fields

_UPDATE = LuaScript.load("hash_update")
_READ = LuaScript.load("read_hash")


class SessionHolds:
    """Remember and recall sessions' reservations. Methods return calls for a runner."""

    def __init__(self, cfg: Settings) -> None:
        self.policy = QuotaPolicy(cfg)
        self.ttl_ms = cfg.max_session_minutes * 60_000 + cfg.session_ttl_seconds * 1000

    def remember(self, session_id: str, reservation: Reservation) -> ScriptCall[None]:
        """Keep a granted reservation with the session it was made for."""
        status = reservation.status
        args: list[Arg] = [self.ttl_ms, "user_id", status.user_id, "tier", status.tier]
        args += ["day", status.day.isoformat(), "hold_id", reservation.hold_id]
        args += ["requested_ms", reservation.requested_ms, "used_ms", status.used_ms]
        args += ["reserved_ms", status.reserved_ms]
        return ScriptCall(_UPDATE, [keys.session_hold(session_id)], args, lambda _reply: None)

    def recall(self, session_id: str) -> ScriptCall[Reservation | None]:
        """The reservation as it was granted, or None if the session holds none."""

        def parse(reply: list[bytes | str]) -> Reservation | None:
            if not reply:
                return None
            entry = fields(reply)
            status = self.policy.status(
                entry["user_id"],
                entry["tier"],
                date.fromisoformat(entry["day"]),
                int(entry["used_ms"]),
                int(entry["reserved_ms"]),
            )
            return Reservation(True, entry["hold_id"], int(entry["requested_ms"]), status)

        return ScriptCall(_READ, [keys.session_hold(session_id)], [], parse)
