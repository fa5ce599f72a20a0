"""Comparing a replay's result events with a recording's.

Compared: final transcripts, subtitles and errors (type, segment, language,
untranslated, text), each segment's dubbed audio (its length), and each
session's `ended`. Timing fields may move within a tolerance. Left out, because
they depend on how records were batched and on wall-clock lag: partials, usage
and backlog statuses.
"""

from __future__ import annotations

import base64
import difflib
import re
from dataclasses import dataclass

from wire.events import ResultEvent

COMPARED_TYPES = ("transcript", "subtitle", "error")


@dataclass(frozen=True)
class Tolerances:
    """How far a replay may drift from its recording and still match."""

    timing_ms: int = 150
    text_similarity: float = 0.9
    audio_ratio: float = 0.25


@dataclass(frozen=True)
class Difference:
    """One mismatch, by event id."""

    event_id: str
    what: str

    def __str__(self) -> str:
        return f"{self.event_id}: {self.what}"


def _normal(text: str | None) -> str:
    return re.sub(r"[^\w']+", " ", (text or "").lower()).strip()


def _compared(events: list[ResultEvent]) -> dict[str, ResultEvent]:
    return {
        e.id: e
        for e in events
        if (e.type in COMPARED_TYPES and e.final) or (e.type == "status" and e.status == "ended")
    }


def _audio_seconds(events: list[ResultEvent]) -> dict[tuple[str, int], float]:
    seconds: dict[tuple[str, int], float] = {}
    for e in events:
        if e.type == "audio" and e.data and e.format:
            key = (e.session_id, e.segment)
            samples = len(base64.b64decode(e.data)) / 2 / e.format.channels
            seconds[key] = seconds.get(key, 0.0) + samples / e.format.sample_rate
    return seconds


def compare(
    recorded: list[ResultEvent], replayed: list[ResultEvent], tolerances: Tolerances
) -> list[Difference]:
    """Every way the replay differs from the recording (empty: they match)."""
    want, got = _compared(recorded), _compared(replayed)
    diffs = [Difference(i, "missing from the replay") for i in sorted(want.keys() - got.keys())]
    diffs += [Difference(i, "not in the recording") for i in sorted(got.keys() - want.keys())]
    for event_id in sorted(want.keys() & got.keys()):
        diffs += _compare_event(want[event_id], got[event_id], tolerances)
    want_audio, got_audio = _audio_seconds(recorded), _audio_seconds(replayed)
    for key in sorted(want_audio.keys() | got_audio.keys()):
        a, b = want_audio.get(key, 0.0), got_audio.get(key, 0.0)
        if abs(a - b) > tolerances.audio_ratio * max(a, b):
            diffs.append(Difference(f"{key[0]}:{key[1]}:audio", f"{a:.2f}s recorded, {b:.2f}s now"))
    return diffs


def _compare_event(a: ResultEvent, b: ResultEvent, tol: Tolerances) -> list[Difference]:
    diffs = []
    for name in ("type", "segment", "language", "untranslated", "code", "status"):
        if getattr(a, name) != getattr(b, name):
            diffs.append(Difference(a.id, f"{name}: {getattr(a, name)!r} != {getattr(b, name)!r}"))
    for name in ("start_ms", "end_ms"):
        x, y = getattr(a, name), getattr(b, name)
        if (x is None) != (y is None) or (x is not None and abs(x - y) > tol.timing_ms):
            diffs.append(Difference(a.id, f"{name}: {x} != {y} (±{tol.timing_ms} ms)"))
    if a.type != "status":
        ratio = difflib.SequenceMatcher(None, _normal(a.data), _normal(b.data)).ratio()
        if ratio < tol.text_similarity:
            diffs.append(Difference(a.id, f"text {a.data!r} != {b.data!r} ({ratio:.2f})"))
    return diffs
