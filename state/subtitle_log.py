"""A session's final subtitles and transcripts as its viewer received them, kept for download.

The ingress that delivers a final `subtitle` or `transcript` event to a socket
adds it here (with the socket's other state, `ingress.state_flusher`), keyed by
its event id: the same event delivered twice (a flow replay, a reconnect) is
kept once. Any ingress can read a session's log back, so a download works
wherever the viewer's socket is, and after it moved to another process. The
log expires with the session (its longest life plus the idle time after it).
"""

from __future__ import annotations

from dataclasses import dataclass

from settings import Settings
from state import keys
from state.scripts import Arg, LuaScript, ScriptCall, fields
from wire.events import ResultEvent, from_json

_ADD = LuaScript.load("hash_add")
_READ = LuaScript.load("read_hash")
KEPT_TYPES = frozenset(("subtitle", "transcript"))


def kept(event: ResultEvent) -> bool:
    """Whether the log keeps this event: final subtitle and transcript text."""
    return event.type in KEPT_TYPES and event.final and bool(event.data)


@dataclass(frozen=True)
class LoggedEvent:
    """One event as the log stores it: its id and its text-and-timing JSON."""

    event_id: str
    body: str

    @classmethod
    def of(cls, event: ResultEvent) -> LoggedEvent:
        """What the log needs of an event: no timings, no benchmark fields."""
        trimmed = ResultEvent(
            type=event.type,
            id=event.id,
            session_id=event.session_id,
            segment=event.segment,
            data=event.data,
            start_ms=event.start_ms,
            end_ms=event.end_ms,
            language=event.language,
            final=event.final,
            untranslated=event.untranslated,
            speaker=event.speaker,
        )
        return cls(event.id, trimmed.to_json().decode())


class SubtitleLogs:
    """Add to and read sessions' subtitle logs. Methods return calls for a runner."""

    def __init__(self, cfg: Settings) -> None:
        self.ttl_ms = cfg.max_session_minutes * 60_000 + cfg.session_ttl_seconds * 1000

    def add(self, session_id: str, events: list[LoggedEvent]) -> ScriptCall[None]:
        """Keep the events (a repeat replaces itself)."""
        args: list[Arg] = [self.ttl_ms]
        for event in events:
            args += [event.event_id, event.body]
        return ScriptCall(_ADD, [keys.subtitle_log(session_id)], args, lambda _: None)

    def read(self, session_id: str) -> ScriptCall[list[ResultEvent]]:
        """Every event kept for the session, in no particular order."""

        def parse(reply: list[bytes | str]) -> list[ResultEvent]:
            return [from_json(body) for body in fields(reply).values()]

        return ScriptCall(_READ, [keys.subtitle_log(session_id)], [], parse)
