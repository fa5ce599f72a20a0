"""Result events on the results topic, and the JSON the WebSocket sends to clients.

The seed protocol's shapes are kept (`{"type": ..., "data": ...}` for audio,
subtitle and transcript; `error` and `status` keys) and fields are added: a
deterministic `id` (session, segment, kind and part) that lets the ingress drop
repeats after a flow restart, cue times in ms, language, a final flag and, for
audio, its format.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from wire.errors import ErrorCode

EventType = Literal["transcript", "subtitle", "audio", "status", "error", "usage"]
EVENT_TYPES: frozenset[str] = frozenset(
    ("transcript", "subtitle", "audio", "status", "error", "usage")
)


class EventError(ValueError):
    """Bytes on the results topic that are not a result event."""


@dataclass(frozen=True)
class AudioFormat:
    """How the base64 `data` of an audio event decodes."""

    encoding: str = "pcm_s16le"
    sample_rate: int = 16000
    channels: int = 1


@dataclass(frozen=True)
class ResultEvent:
    """One message for one session's client. Optional fields are left out of the JSON."""

    type: EventType
    id: str
    session_id: str
    segment: int = -1
    data: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    language: str | None = None
    final: bool = True
    untranslated: bool | None = None
    format: AudioFormat | None = None
    chunk: int | None = None
    last_chunk: bool | None = None
    # A segment a streaming provider heard as several turns: turn k of it (absent: the first).
    turn: int | None = None
    # Who spoke it: the session's speaker 1, 2, ... (final transcripts, subtitles and dubs;
    # absent when speakers are not told apart).
    speaker: int | None = None
    error: str | None = None
    code: str | None = None
    status: str | None = None
    seconds: float | None = None
    remaining_seconds: float | None = None
    # Timing for benchmarks: ingress receive time of the newest frame in the
    # segment, when the flow's segmenter closed the segment, time spent inside
    # providers for this event, and when the ingress handed it to the socket
    # (added on the way out, see `with_sent_ms`).
    source_ingress_ms: float | None = None
    segmented_ms: float | None = None
    provider_ms: float | None = None
    sent_ms: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object clients receive (None fields dropped)."""
        # Field by field, not dataclasses.asdict: that deep-copies every value, and
        # the flow serialises every event it emits.
        body = {}
        for name in _OWN_FIELDS:
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        if self.format is not None:
            body["format"] = asdict(self.format)
        body.update(self.extra)
        return body

    def to_json(self) -> bytes:
        """Serialise for the results topic."""
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False).encode()


_FIELDS = set(ResultEvent.__dataclass_fields__)
# In declaration order, so the JSON keeps its key order; `extra` is merged in, not nested.
_OWN_FIELDS = tuple(name for name in ResultEvent.__dataclass_fields__ if name != "extra")


def from_json(raw: bytes | str) -> ResultEvent:
    """Parse an event from the results topic; raise EventError if it is not one."""
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise EventError(f"not JSON: {exc}") from exc
    if not isinstance(body, dict) or body.get("type") not in EVENT_TYPES:
        raise EventError("not a result event (missing or unknown type)")
    if not isinstance(body.get("id"), str) or not isinstance(body.get("session_id"), str):
        raise EventError("result event without id or session_id")
    known = {k: v for k, v in body.items() if k in _FIELDS}
    if isinstance(known.get("format"), dict):
        known["format"] = AudioFormat(**known["format"])
    known["extra"] = {k: v for k, v in body.items() if k not in _FIELDS}
    return ResultEvent(**known)


def with_sent_ms(text: str, sent_ms: float) -> str:
    """An event's JSON with `sent_ms` added as its last key.

    The ingress stamps every result on its way to the socket: splicing the
    field in costs far less than parsing and serialising the event again.
    """
    return f'{text[:-1]},"sent_ms":{sent_ms:.1f}}}'


def event_id(session_id: str, segment: int, kind: str, part: str | int | None = None) -> str:
    """Deterministic id: the same segment and kind always get the same id after a replay."""
    base = f"{session_id}:{segment:06d}:{kind}"
    return base if part is None else f"{base}:{part}"


def error_event(
    session_id: str, code: ErrorCode, message: str, segment: int = -1, part: str | int = "e"
) -> ResultEvent:
    """An `error` event with a stable code (seed shape: `{"type": "error", "error": msg}`)."""
    return ResultEvent(
        type="error",
        id=event_id(session_id, segment, f"error-{code.value}", part),
        session_id=session_id,
        segment=segment,
        error=message,
        code=code.value,
    )
