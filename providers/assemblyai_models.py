"""What each AssemblyAI streaming speech model does, as its documentation describes it.

The adapter (`providers.assemblyai_stt`) and the local stand-in
(`standins.assemblyai`) both read this table, so that what the adapter expects
of a model and what the stand-in does for it cannot drift apart. Sources, as
of 2026 (docs change often; the links say where to look again):

- Model selection and languages: https://www.assemblyai.com/docs/streaming/select-the-speech-model
- Universal-Streaming turn detection (defaults 400 / 1280 ms):
  https://assemblyai.com/docs/streaming/universal-streaming/turn-detection
- Universal-3 Pro turn detection (defaults 100 / 1000 ms, one final per turn,
  already formatted): https://assemblyai.com/docs/streaming/universal-3-pro/turn-detection-and-partials
- whisper-rt (auto-detects the language, takes no language parameter, puts
  bracketed non-speech tags such as `[Music]` in `utterance`):
  https://assemblyai.com/docs/streaming/whisper-streaming
- Hebrew: universal-3-5-pro lists `he` and takes `language_codes=["he"]`,
  which biases it toward Hebrew without locking it (it still code-switches):
  https://assemblyai.com/docs/streaming/getting-started/optimizing-accuracy-and-latency
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamingModel:
    """One speech model's documented behaviour."""

    name: str
    languages: frozenset[str]  # empty: any (the model detects the language itself)
    # Takes `language_codes` to bias recognition toward the session's language.
    takes_language_codes: bool = False
    # With format_turns, a final comes twice: raw, then `turn_is_formatted` (English model).
    formats_separately: bool = False
    # Punctuation-driven turns (Universal-3 Pro family): SpeechStarted, then a
    # partial at each pause, one final per turn, already formatted.
    punctuation_turns: bool = False
    # Bracketed non-speech tags ([Music], [Silence]) in the turn's `utterance`.
    non_speech_tags: bool = False
    min_turn_silence_ms: int = 400
    max_turn_silence_ms: int = 1280


_EN_ES = frozenset({"en", "es", "fr", "de", "it", "pt"})

MODELS: dict[str, StreamingModel] = {
    model.name: model
    for model in (
        StreamingModel("universal-streaming-english", frozenset({"en"}), formats_separately=True),
        StreamingModel("universal-streaming-multilingual", _EN_ES),
        StreamingModel(
            "u3-rt-pro",
            _EN_ES,
            punctuation_turns=True,
            min_turn_silence_ms=100,
            max_turn_silence_ms=1000,
        ),
        StreamingModel(
            "universal-3-5-pro",
            _EN_ES | {"tr", "nl", "sv", "no", "da", "fi", "hi", "vi", "ar", "he", "ja", "zh"},
            takes_language_codes=True,
            punctuation_turns=True,
            min_turn_silence_ms=100,
            max_turn_silence_ms=1000,
        ),
        StreamingModel("whisper-rt", frozenset(), non_speech_tags=True),
    )
}


def model_named(name: str) -> StreamingModel:
    """A model's documented behaviour; an unknown (newer) one is taken for Universal-Streaming."""
    return MODELS.get(name) or StreamingModel(name, frozenset())
