"""The last stateful step: passes events through and sends `ended` after all of them.

A session's events reach the sink along several paths (transcript, subtitles,
dubbing, usage). Each path forwards the stream's end as a PathDone marker
after its own events; when every expected path has reported, nothing of the
session is still in flight and the `ended` status can follow.
"""

from __future__ import annotations

from bytewax.operators import StatefulLogic

from flows.items import PathDone, expected_paths
from wire.events import ResultEvent, event_id

FinishInput = ResultEvent | PathDone


class SessionFinisher(StatefulLogic[FinishInput, ResultEvent, frozenset[str]]):
    """Collects PathDone markers for one session; holds no state while none is pending."""

    def __init__(self, with_usage: bool, resume: frozenset[str] | None = None) -> None:
        self.with_usage = with_usage
        self.done: frozenset[str] = resume or frozenset()

    def on_item(self, value: FinishInput) -> tuple[list[ResultEvent], bool]:
        """Forward events; on the last marker, emit `ended` and forget the session."""
        if isinstance(value, ResultEvent):
            return [value], not self.done
        self.done = self.done | {value.path}
        if self.done < expected_paths(value.settings, self.with_usage):
            return [], StatefulLogic.RETAIN
        sid = value.settings.session_id
        ended = ResultEvent(
            type="status", id=event_id(sid, -1, "status-ended"), session_id=sid, status="ended"
        )
        return [ended], StatefulLogic.DISCARD

    def snapshot(self) -> frozenset[str]:
        """The paths that have finished (immutable already)."""
        return self.done
