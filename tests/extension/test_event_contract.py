"""The socket's result events against `extension/types/api.ts`: every field the flow sends on a
transcript, subtitle or audio event is declared there (the OpenAPI check covers REST only)."""

from __future__ import annotations

import re

from flows.items import SpeechSegment, Transcribed, Translated
from flows.speech_steps import DubPieces, subtitle_events, transcript_events
from providers.base import SpeechChunk, Transcript, Translation
from settings import ROOT
from wire.audio import SessionSettings
from wire.events import ResultEvent

# Stamped for the benchmarks (see wire/events.py); clients ignore them.
TIMING = {"source_ingress_ms", "segmented_ms", "provider_ms", "sent_ms"}


def _declared(interface: str) -> set[str]:
    """The field names of `export interface NAME ... { ... }` in types/api.ts."""
    source = (ROOT / "extension" / "types" / "api.ts").read_text(encoding="utf-8")
    body = re.search(rf"export interface {interface}\b[^{{]*\{{(.*?)\n\}}", source, re.S)
    assert body is not None, f"no interface {interface} in types/api.ts"
    own = set(re.findall(r"^\s+(\w+)\??:", body.group(1), re.M))
    return own | (
        {"id", "session_id", "segment"} if "extends EventBase" in body.group(0) else set()
    )


def _sent(events: list[object]) -> set[str]:
    return {k for e in events if isinstance(e, ResultEvent) for k in e.to_dict()} - TIMING


def test_text_and_audio_events_send_only_what_the_extension_declares() -> None:
    settings = SessionSettings("s", "u", source_language="he", target_language="en")
    # Everything optional set: a second turn of a segment, its speaker, an untranslated line.
    segment = SpeechSegment(
        settings,
        3,
        b"",
        1000,
        2000,
        final=True,
        turn=1,
        speaker=2,
        source_ingress_ms=1.0,
        segmented_ms=2.0,
    )
    heard = Transcribed(segment, Transcript("שלום", "he"))
    shown = Translated(heard, {"en": Translation("שלום", "he", "en", untranslated=True)})
    texts = transcript_events(heard) + subtitle_events(shown)
    pieces = DubPieces(segment, "en")
    audio = pieces.add(SpeechChunk(bytes(32000), 16000), 5.0) + pieces.finish(5.0)
    assert _sent(texts) <= _declared("TextEvent")
    assert _sent(audio) <= _declared("AudioEvent")
    assert {"speaker", "untranslated"} <= _sent(texts) and {"speaker", "turn"} <= _sent(audio)
