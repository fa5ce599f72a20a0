"""The recording file: gzip'd JSON lines, one Kafka record a line, in topic order.

    {"stream": "audio"|"results", "key": "<session id>", "value": "<base64>", "ts": <ms>}

The first line is a header: {"livedub_recording": 1, "sessions": [...], "created": "..."}.
Audio values are wire.audio records (binary, so base64); result values are the
events' JSON (also base64, so that bytes round-trip exactly).
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

FORMAT_VERSION = 1
Stream = Literal["audio", "results"]


class RecordingError(ValueError):
    """A file that is not a livedub recording (or of an unknown version)."""


@dataclass(frozen=True)
class RecordedMessage:
    """One Kafka record as it was on its topic."""

    stream: Stream
    key: str
    value: bytes
    ts: int


@dataclass(frozen=True)
class Recording:
    """Everything in a recording file, in order."""

    sessions: tuple[str, ...]
    messages: tuple[RecordedMessage, ...]

    def stream(self, name: Stream) -> list[RecordedMessage]:
        """The messages of one topic, in their recorded order."""
        return [m for m in self.messages if m.stream == name]


def write(path: Path, sessions: Iterable[str], messages: Iterable[RecordedMessage]) -> None:
    """Write a recording (the header first)."""
    header = {
        "livedub_recording": FORMAT_VERSION,
        "sessions": sorted(sessions),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(json.dumps(header) + "\n")
        for m in messages:
            line = {
                "stream": m.stream,
                "key": m.key,
                "value": base64.b64encode(m.value).decode(),
                "ts": m.ts,
            }
            out.write(json.dumps(line) + "\n")


def read(path: Path) -> Recording:
    """Read a recording; raise RecordingError if it is not one."""
    try:
        lines = _lines(path)
        header = json.loads(next(lines))
    except (OSError, StopIteration, ValueError) as exc:
        raise RecordingError(f"{path}: not a livedub recording ({exc})") from exc
    if header.get("livedub_recording") != FORMAT_VERSION:
        raise RecordingError(f"{path}: unsupported recording version {header!r}")
    messages = []
    for number, line in enumerate(lines, start=2):
        try:
            item = json.loads(line)
            messages.append(
                RecordedMessage(
                    item["stream"], item["key"], base64.b64decode(item["value"]), int(item["ts"])
                )
            )
        except (ValueError, KeyError) as exc:
            raise RecordingError(f"{path}:{number}: bad line ({exc})") from exc
    return Recording(tuple(header.get("sessions", ())), tuple(messages))


def _lines(path: Path) -> Iterator[str]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        yield from (line for line in handle if line.strip())
