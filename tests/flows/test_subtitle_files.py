"""Subtitle files: cues in time order, text that cannot break the format, room for speakers."""

from __future__ import annotations

import io

import srt
import webvtt

from flows.subtitle_files import Cue, final_cues, srt_text, vtt_text
from wire.events import ResultEvent


def test_final_cues_of_one_kind_in_time_order() -> None:
    events = [
        ResultEvent("subtitle", "b", "s", 1, data="second", start_ms=2000, end_ms=2500),
        ResultEvent("subtitle", "p", "s", 1, data="seco", start_ms=2000, end_ms=2400, final=False),
        ResultEvent("transcript", "t", "s", 0, data="original", start_ms=0, end_ms=900),
        ResultEvent("subtitle", "a", "s", 0, data="first", start_ms=0, end_ms=900),
    ]
    assert [c.text for c in final_cues(events, "subtitle")] == ["first", "second"]


def test_markup_and_blank_lines_in_the_text_do_not_break_either_format() -> None:
    cues = [Cue(0, 1000, "a < b --> c & d\n\nthe end"), Cue(1000, 2000, "next")]
    parsed = webvtt.from_buffer(io.StringIO(vtt_text(cues, "en"))).captions
    assert [c.text for c in parsed] == ["a &lt; b --&gt; c &amp; d the end", "next"]
    assert [s.content for s in srt.parse(srt_text(cues))] == ["a < b --> c & d the end", "next"]


def test_a_cues_speaker_is_a_webvtt_voice_span_and_an_srt_prefix() -> None:
    cues = [Cue(0, 1000, "Buenas noches", speaker="Speaker 2")]
    (caption,) = webvtt.from_buffer(io.StringIO(vtt_text(cues))).captions
    assert (caption.voice, caption.raw_text) == ("Speaker 2", "<v Speaker 2>Buenas noches</v>")
    assert [s.content for s in srt.parse(srt_text(cues))] == ["Speaker 2: Buenas noches"]


def test_cues_name_their_speakers_only_when_there_are_two_or_more() -> None:
    def said(event_id: str, segment: int, speaker: int | None) -> ResultEvent:
        start = segment * 1000
        return ResultEvent(
            "subtitle",
            event_id,
            "s",
            segment,
            data="hola",
            start_ms=start,
            end_ms=start + 900,
            speaker=speaker,
        )

    alone = [said("a", 0, 1), said("b", 1, 1)]
    assert [c.speaker for c in final_cues(alone, "subtitle")] == [None, None]
    pair = [said("a", 0, 1), said("b", 1, 2), said("c", 2, None)]
    assert [c.speaker for c in final_cues(pair, "subtitle")] == ["Speaker 1", "Speaker 2", None]
