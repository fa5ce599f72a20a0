"""Subtitle and transcript files from result events, written by subtitle libraries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import srt
import webvtt

from wire.events import ResultEvent


@dataclass(frozen=True)
class Cue:
    """One timed line of text."""

    start_ms: int
    end_ms: int
    text: str


def final_cues(events: list[ResultEvent], kind: str) -> list[Cue]:
    """The final events of one kind as cues, in time order (partials dropped)."""
    cues = [
        Cue(e.start_ms or 0, max(e.end_ms or 0, (e.start_ms or 0) + 1), e.data or "")
        for e in events
        if e.type == kind and e.final and e.data
    ]
    return sorted(cues, key=lambda c: c.start_ms)


def _vtt_time(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def write_vtt(cues: list[Cue], path: Path) -> None:
    """A WebVTT file (webvtt-py)."""
    document = webvtt.WebVTT()
    for cue in cues:
        document.captions.append(
            webvtt.Caption(_vtt_time(cue.start_ms), _vtt_time(cue.end_ms), cue.text)
        )
    document.save(str(path))


def write_srt(cues: list[Cue], path: Path) -> None:
    """A SubRip file (srt)."""
    subtitles = [
        srt.Subtitle(
            i, timedelta(milliseconds=c.start_ms), timedelta(milliseconds=c.end_ms), c.text
        )
        for i, c in enumerate(cues, start=1)
    ]
    path.write_text(srt.compose(subtitles), encoding="utf-8")


def write_transcript(cues: list[Cue], path: Path) -> None:
    """One line per utterance: `[start --> end] text`."""
    lines = [f"[{_vtt_time(c.start_ms)} --> {_vtt_time(c.end_ms)}] {c.text}" for c in cues]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
