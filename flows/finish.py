"""The last stateful step: routes each session's events and sends `ended` after all of them.

Routing: a session's events go to the results partition its latest start record
named (the partition read by the ingress that holds its socket). When a
reconnect moves the session, a `rerouted` status goes to the old partition
after everything routed there, so the new ingress can replay the old
partition up to that marker and lose nothing.

Ending: events reach this step along several paths (transcript, subtitles,
dubbing, usage). Each path forwards the stream's end as a PathDone marker after
its own events; when every expected path has reported, nothing of the session
is in flight and `ended` can follow.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bytewax.operators import StatefulLogic

from flows.items import PathDone, RouteChange, expected_paths
from wire.events import ResultEvent, event_id

FinishInput = ResultEvent | PathDone | RouteChange
Routed = tuple[int | None, ResultEvent]


@dataclass(frozen=True)
class FinishState:
    """Where the session's events go, and which paths have finished."""

    route: int | None = None
    done: frozenset[str] = frozenset()
    reroutes: int = 0


class SessionFinisher(StatefulLogic[FinishInput, Routed, FinishState]):
    """One session's router and end-of-stream gate."""

    def __init__(self, with_usage: bool, resume: FinishState | None = None) -> None:
        self.with_usage = with_usage
        self.state = resume or FinishState()

    def on_item(self, value: FinishInput) -> tuple[list[Routed], bool]:
        """Route events; on a reroute leave a marker behind; after the last path, `ended`."""
        state = self.state
        if isinstance(value, ResultEvent):
            return [(state.route, value)], StatefulLogic.RETAIN
        sid = value.settings.session_id
        if isinstance(value, RouteChange):
            new_route = value.settings.reply_partition
            if new_route == state.route:
                return [], StatefulLogic.RETAIN
            self.state = replace(state, route=new_route, reroutes=state.reroutes + 1)
            if state.reroutes == 0:
                return [], StatefulLogic.RETAIN  # the first start: nothing to leave behind
            marker = ResultEvent(
                type="status",
                id=event_id(sid, -1, "status-rerouted", state.reroutes),
                session_id=sid,
                status="rerouted",
                extra={"to_partition": new_route},
            )
            return [(state.route, marker)], StatefulLogic.RETAIN
        self.state = replace(state, done=state.done | {value.path})
        if self.state.done < expected_paths(value.settings, self.with_usage):
            return [], StatefulLogic.RETAIN
        ended = ResultEvent(
            type="status", id=event_id(sid, -1, "status-ended"), session_id=sid, status="ended"
        )
        return [(state.route, ended)], StatefulLogic.DISCARD

    def snapshot(self) -> FinishState:
        """The state is an immutable dataclass already."""
        return self.state
