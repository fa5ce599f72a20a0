"""Ending a session: the one path shared by DELETE and the socket's end.

The session stops counting toward its owner's cap and its reservation is
released. Audio was charged by the flow as it was processed (`state.usage`),
never here. Both steps are idempotent, so a DELETE racing the socket's own end
settles once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingress.runtime import IngressRuntime
from state.quotas import QuotaStatus
from state.sessions import Session


@dataclass(frozen=True)
class EndedSession:
    """The ended session and its owner's quota afterwards."""

    session: Session
    quota: QuotaStatus


async def end_session(runtime: IngressRuntime, session_id: str, user_id: str) -> EndedSession:
    """End the session (StateError if it is missing or not the user's) and settle its hold."""
    run = runtime.run
    session = await run(runtime.sessions.end(session_id, user_id))
    reservation = await run(runtime.holds.recall(session_id))
    if reservation is None:
        quota = await run(runtime.quotas.get_usage(user_id, tier=session.settings.tier))
    else:
        settlement = await run(runtime.quotas.settle(reservation, session.processed_ms / 60_000))
        quota = settlement.status
    return EndedSession(session, quota)
