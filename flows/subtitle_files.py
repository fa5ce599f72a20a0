"""Subtitle and transcript files from result events, written by subtitle libraries.

`just dub` writes them next to a dubbed file; the ingress serves a live
session's as downloads (`ingress.subtitles_api`). A cue may name its speaker:
WebVTT says so with a voice span (`<v Name>`), SubRip, which has none, with a
`Name: ` prefix. Events carry the speaker's number (flows.speakers); cues name
it ("Speaker 2") when more than one speaker is in them.
"""

from __future__ import annotations

import html
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
    speaker: str | None = None


def speaker_name(speaker: int) -> str:
    """How a cue names the session's speaker number `speaker`."""
    return f"Speaker {speaker}"


def final_cues(events: list[ResultEvent], kind: str) -> list[Cue]:
    """The final events of one kind as cues, in time order (partials dropped).

    A cue names its speaker when the events have more than one: with one, the
    name would say nothing.
    """
    finals = [e for e in events if e.type == kind and e.final and e.data]
    named = len({e.speaker for e in finals if e.speaker is not None}) > 1
    cues = [
        Cue(
            e.start_ms or 0,
            max(e.end_ms or 0, (e.start_ms or 0) + 1),
            e.data or "",
            speaker_name(e.speaker) if named and e.speaker is not None else None,
        )
        for e in finals
    ]
    return sorted(cues, key=lambda c: c.start_ms)


def _one_line(text: str) -> str:
    # A blank line would end the cue in both formats; recognised speech needs no line breaks.
    return " ".join(text.split())


def _vtt_time(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _vtt_payload(cue: Cue) -> str:
    # Cue text is markup: &, < and > are escaped (which also keeps "-->" out of it).
    text = html.escape(_one_line(cue.text), quote=False)
    if cue.speaker is None:
        return text
    return f"<v {html.escape(_one_line(cue.speaker), quote=False)}>{text}</v>"


def vtt_text(cues: list[Cue], language: str | None = None) -> str:
    """A WebVTT document (webvtt-py); `language` goes in its header."""
    document = webvtt.WebVTT(
        captions=[
            webvtt.Caption(_vtt_time(c.start_ms), _vtt_time(c.end_ms), _vtt_payload(c))
            for c in cues
        ],
        header_comments=[f"Language: {language}"] if language else None,
    )
    return str(document.content)


def srt_text(cues: list[Cue]) -> str:
    """A SubRip document (srt)."""
    subtitles = [
        srt.Subtitle(
            i,
            timedelta(milliseconds=c.start_ms),
            timedelta(milliseconds=c.end_ms),
            _one_line(f"{c.speaker}: {c.text}" if c.speaker else c.text),
        )
        for i, c in enumerate(cues, start=1)
    ]
    return str(srt.compose(subtitles))


def write_vtt(cues: list[Cue], path: Path) -> None:
    """A WebVTT file."""
    path.write_text(vtt_text(cues), encoding="utf-8")


def write_srt(cues: list[Cue], path: Path) -> None:
    """A SubRip file."""
    path.write_text(srt_text(cues), encoding="utf-8")


def write_transcript(cues: list[Cue], path: Path) -> None:
    """One line per utterance: `[start --> end] text`."""
    lines = [f"[{_vtt_time(c.start_ms)} --> {_vtt_time(c.end_ms)}] {c.text}" for c in cues]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
