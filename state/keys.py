"""Every Redis key livedub's state uses, named in one place.

    ld:quota:<user>:<yyyy-mm-dd>        hash   used_ms: audio charged that UTC day
    ld:quota:<user>:<yyyy-mm-dd>:holds  zset   open reservations "<ms>:<id>", scored by expiry
    ld:quota:<user>:<yyyy-mm-dd>:leases zset   sessions' leases "<ms>:<session>", scored by expiry
    ld:usage:<session>                  hash   the usage ledger: processed_ms high-water mark, lease
    ld:session:<session>                hash   a session's owner, settings, status, counters
    ld:user:<user>:sessions             zset   the owner's live sessions, score expiry ms
    ld:rate:<user>:<scope>              zset   request times in the sliding window
    ld:authfail:<address>               zset   failed authentications from a client address
    ld:hold:<session>                   hash   the quota reservation made when the session opened
    ld:route:<session>                  hash   the session's results partition(s) and acked cursor
    ld:subs:<session>                   hash   final subtitles and transcripts delivered, by id

Day keys expire a day after their day ends; everything else expires with the
thing it describes. Scripts touch keys of several users' or sessions' names, so
state needs a single Redis (or a primary), not Redis Cluster.
"""

from __future__ import annotations

from datetime import date

PREFIX = "ld"


def quota_day(user_id: str, day: date) -> str:
    """Audio seconds (ms) charged to a user on one UTC day."""
    return f"{PREFIX}:quota:{user_id}:{day.isoformat()}"


def quota_holds(user_id: str, day: date) -> str:
    """A user's open reservations for one UTC day."""
    return f"{quota_day(user_id, day)}:holds"


def quota_leases(user_id: str, day: date) -> str:
    """What a user's streaming sessions hold leased of one UTC day and have not used yet."""
    return f"{quota_day(user_id, day)}:leases"


def usage_ledger(session_id: str) -> str:
    """The session's processed-audio high-water mark (exactly-once charging)."""
    return f"{PREFIX}:usage:{session_id}"


def session(session_id: str) -> str:
    """A session record."""
    return f"{PREFIX}:session:{session_id}"


def user_sessions(user_id: str) -> str:
    """The index of a user's live sessions, for the concurrent-session cap."""
    return f"{PREFIX}:user:{user_id}:sessions"


def rate_limit(user_id: str, scope: str) -> str:
    """A user's recent requests in one rate-limited scope."""
    return f"{PREFIX}:rate:{user_id}:{scope}"


def auth_failures(address: str) -> str:
    """Recent failed authentications from one client address (or IPv6 /64)."""
    return f"{PREFIX}:authfail:{address}"


def session_hold(session_id: str) -> str:
    """The reservation a session holds, so any ingress process can settle it."""
    return f"{PREFIX}:hold:{session_id}"


def result_route(session_id: str) -> str:
    """Where a session's results are routed and how far its client acknowledged them."""
    return f"{PREFIX}:route:{session_id}"


def subtitle_log(session_id: str) -> str:
    """The final subtitle and transcript events a session's viewer received."""
    return f"{PREFIX}:subs:{session_id}"
