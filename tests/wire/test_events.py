"""Result events as the results topic carries them and clients receive them."""

from __future__ import annotations

import json

import pytest

from wire.errors import ErrorCode
from wire.events import (
    AudioFormat,
    EventError,
    ResultEvent,
    error_event,
    event_id,
    from_json,
    with_sent_ms,
)


def test_the_json_leaves_out_empty_fields_and_keeps_the_declared_order() -> None:
    event = ResultEvent(
        type="subtitle",
        id=event_id("s1", 3, "subtitle", 0),
        session_id="s1",
        segment=3,
        data="hola",
        start_ms=1200,
        end_ms=2500,
        language="es",
        final=False,
        extra={"mood": "a"},
    )
    body = json.loads(event.to_json())
    assert list(body) == [
        "type",
        "id",
        "session_id",
        "segment",
        "data",
        "start_ms",
        "end_ms",
        "language",
        "final",
        "mood",
    ]
    assert body["id"] == "s1:000003:subtitle:0" and body["final"] is False


def test_audio_carries_its_format_as_an_object_in_its_place() -> None:
    event = ResultEvent(
        type="audio",
        id="s1:000001:audio:0",
        session_id="s1",
        data="AAAA",
        format=AudioFormat(),
        chunk=0,
    )
    body = json.loads(event.to_json())
    assert body["format"] == {"encoding": "pcm_s16le", "sample_rate": 16000, "channels": 1}
    assert list(body).index("format") < list(body).index("chunk")


def test_a_speaker_is_sent_only_when_known_and_reads_back() -> None:
    plain = ResultEvent(type="subtitle", id="a", session_id="s", data="hola")
    assert "speaker" not in plain.to_dict()  # clients that predate speakers see the same JSON
    said = ResultEvent(type="subtitle", id="a", session_id="s", data="hola", speaker=2)
    assert said.to_dict()["speaker"] == 2 and from_json(said.to_json()) == said
    # A reader that knows the field keeps it; an old event without it has none.
    assert from_json(b'{"type":"subtitle","id":"a","session_id":"s"}').speaker is None


def test_events_read_back_as_they_were_written() -> None:
    events = [
        ResultEvent(
            type="audio", id="a", session_id="s", data="AAAA", format=AudioFormat(), extra={"x": 1}
        ),
        error_event("s", ErrorCode.QUOTA_EXCEEDED, "no minutes left"),
        ResultEvent(type="usage", id="u", session_id="s", seconds=1.5, remaining_seconds=298.5),
    ]
    assert [from_json(e.to_json()) for e in events] == events


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1]",
        b'{"type": "dance", "id": "x", "session_id": "s"}',
        b'{"type": "audio"}',
    ],
)
def test_what_is_not_an_event_is_refused(raw: bytes) -> None:
    with pytest.raises(EventError):
        from_json(raw)


def test_the_ingress_send_time_is_added_without_touching_the_rest() -> None:
    event = ResultEvent(
        type="subtitle",
        id=event_id("s1", 3, "subtitle"),
        session_id="s1",
        segment=3,
        data='Hola "mundo" }',
        source_ingress_ms=1_700_000_000_000,
        provider_ms=12.5,
    )
    text = with_sent_ms(event.to_json().decode(), 1_700_000_000_009.04)
    stamped = from_json(text)
    assert stamped.sent_ms == 1_700_000_000_009.0
    assert stamped == ResultEvent(**{**event.__dict__, "sent_ms": stamped.sent_ms})
    assert list(json.loads(text))[-1] == "sent_ms"
