"""The interfaces every speech provider implements, and the errors they raise.

One implementation per file; `providers.registry` picks them by name from
settings. All calls are async and bounded by a timeout; blocking engines run in
threads so that one slow call never holds up another session.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from wire.errors import ErrorCode

RETRYABLE_CODES = frozenset({ErrorCode.PROVIDER_RATE_LIMITED, ErrorCode.PROVIDER_UNAVAILABLE})


class ProviderError(Exception):
    """A provider call failed; `code` is one of the stable provider codes.

    `retry_after` is the wait (seconds) the provider asked for, when it said;
    `retryable` says whether trying again may succeed (by default: rate limits
    and unavailability are, auth, timeouts and unsupported languages are not).
    Messages never carry credentials.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        retry_after: float | None = None,
        *,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.retry_after = retry_after
        self.retryable = code in RETRYABLE_CODES if retryable is None else retryable


@dataclass(frozen=True)
class Word:
    """A recognised word with its place in the segment (ms from the segment's start)."""

    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Transcript:
    """Speech-to-text result for one segment."""

    text: str
    language: str
    words: tuple[Word, ...] = ()
    final: bool = True


@dataclass(frozen=True)
class Translation:
    """A translated text; `untranslated` when no engine serves the pair and the source is kept."""

    text: str
    source_language: str
    target_language: str
    untranslated: bool = False


@dataclass(frozen=True)
class Voice:
    """A voice the dubbing path can speak with."""

    id: str
    name: str
    language: str
    gender: str | None = None
    provider: str = ""


@dataclass(frozen=True)
class SpeechChunk:
    """A piece of synthesized speech: PCM s16le mono at `sample_rate`."""

    pcm: bytes
    sample_rate: int


@runtime_checkable
class SpeechToText(Protocol):
    """PCM s16le 16 kHz mono segment + language -> text with word timings."""

    name: str

    def languages(self) -> frozenset[str]:
        """Languages this engine transcribes."""
        ...

    async def transcribe(self, pcm: bytes, language: str, *, final: bool = True) -> Transcript:
        """Transcribe one segment; `final=False` asks for a quick partial where supported."""
        ...


@runtime_checkable
class BatchSpeechToText(Protocol):
    """An engine that transcribes several segments in one go cheaper than one by one."""

    async def transcribe_many(
        self, segments: Sequence[tuple[bytes, str, bool]]
    ) -> list[Transcript | ProviderError]:
        """Each (pcm, language, final) segment's transcript, or its error, in order."""
        ...


@runtime_checkable
class Translator(Protocol):
    """Texts + source + target -> texts."""

    name: str

    async def translate(
        self, texts: Sequence[str], source: str, target: str, *, glossary: str | None = None
    ) -> list[Translation]:
        """Translate each text; a pair with no engine comes back `untranslated`."""
        ...


@runtime_checkable
class TranslationPairs(Protocol):
    """A translator that can say which (source, target) pairs it serves."""

    async def pairs(self) -> frozenset[tuple[str, str]]:
        """The pairs, as ISO 639-1 codes."""
        ...


@runtime_checkable
class TextToSpeech(Protocol):
    """Text + language + voice -> PCM s16le chunks at a stated sample rate."""

    name: str

    def synthesize(self, text: str, language: str, voice: str | None) -> AsyncIterator[SpeechChunk]:
        """Stream the speech for the text as it is produced."""
        ...


@dataclass(frozen=True)
class StreamTurn:
    """A turn of a live stream as the provider hears it: growing (partial) or final.

    `turn` counts the stream's turns from 0, across reconnections; times are
    ms on the stream's clock (0 = its first audio). `start_ms` and `end_ms`
    are the turn's first and last word, or None when it has no words.
    `language_confidence` is None when the provider does not say. `speaker` is
    the provider's label for who said it (diarization), unique to the connection
    that heard it (a provider numbers the speakers of each connection afresh);
    None when it did not say.
    """

    turn: int
    text: str
    language: str
    final: bool
    words: tuple[Word, ...] = ()
    start_ms: int | None = None
    end_ms: int | None = None
    language_confidence: float | None = None
    speaker: str | None = None


@runtime_checkable
class SpeechStream(Protocol):
    """One live speech-to-text stream: audio in as it arrives, turns out as the provider hears them.

    Nothing here waits for the network: calls queue work for the stream's own
    task, and `take()` hands over what has arrived since the last look.
    """

    def send(self, pcm: bytes) -> None:
        """Queue PCM s16le 16 kHz mono, in the order it was captured (real time)."""
        ...

    def end_turn(self) -> None:
        """The speaker stopped (our VAD): end the provider's current turn now."""
        ...

    def take(self) -> list[StreamTurn | ProviderError]:
        """The turns (and failures) that arrived since the last call, in order."""
        ...

    @property
    def billed_seconds(self) -> float:
        """How long its connections have been open so far: what the provider bills."""
        ...

    async def close(self) -> None:
        """Flush: the last turns arrive (see `take`), then the connection closes."""
        ...


@runtime_checkable
class StreamingSpeechToText(Protocol):
    """An engine that transcribes a live stream (cloud streaming APIs), besides segments."""

    def open_stream(
        self, language: str, *, loop: asyncio.AbstractEventLoop | None = None
    ) -> SpeechStream:
        """A stream for one language whose work runs on `loop` (default: the running one).

        It connects in the background; a language with no model is refused at once.
        """
        ...


@runtime_checkable
class Closable(Protocol):
    """A provider holding connections or clients; close it when done."""

    async def aclose(self) -> None:
        """Release connections and clients."""
        ...


@runtime_checkable
class VoiceCatalog(Protocol):
    """Voices per language, for GET /api/v1/dubbing/voices."""

    async def voices(self, language: str | None = None) -> list[Voice]:
        """The voices for a language, or all of them."""
        ...


@runtime_checkable
class DefaultVoice(Protocol):
    """A TTS provider whose voice for a request that names none is not its catalog's first."""

    async def default_voice(self, language: str) -> str:
        """The voice id used when a request names no voice."""
        ...


@runtime_checkable
class VoiceEmbedder(Protocol):
    """PCM s16le 16 kHz mono utterance -> a unit vector of its speaker's voice."""

    name: str

    async def embed(self, pcm: bytes) -> tuple[npt.NDArray[np.float32] | None, int]:
        """The vector (None: too little speech to tell) and the ms of speech it came from."""
        ...
