"""Cloud text-to-speech: ElevenLabs through its official SDK's async client (`elevenlabs`).

Speech streams from `/v1/text-to-speech/{voice}/stream` as raw PCM
(`pcm_16000`, `pcm_22050`, ...), with a low-latency model (eleven_flash_v2_5
by default). The languages are those the model lists on `/v1/models`; the
voices are the account's (`/v1/voices`), each in the languages it is verified
for. A request is retried (our policy, Retry-After honoured) until its first
audio arrives; after that a failure ends the stream.

The API key goes only to the SDK; it is never logged or put in a message.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import TypeVar, cast

import httpx
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.core.request_options import RequestOptions
from elevenlabs.types.voice import Voice as ElevenLabsVoice

from providers.base import ProviderError, SpeechChunk, Voice
from providers.deadlines import stream_within, timeout_error, within
from providers.http_errors import error_for_status, parse_retry_after
from providers.pcm import resampled_chunks
from providers.retries import RetryPolicy, with_retries
from wire.errors import ErrorCode

T = TypeVar("T")

# The raw PCM rates the stream endpoint offers; others are resampled from 22050.
PCM_RATES = (8000, 16000, 22050, 24000, 32000, 44100, 48000)


class ElevenLabsTextToSpeech:
    """ElevenLabs streaming speech and the account's voices."""

    name = "elevenlabs"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://api.elevenlabs.io",
        model: str = "eleven_flash_v2_5",
        default_voice: str | None = None,
        sample_rate: int = 16000,
        max_concurrency: int = 0,
        timeout: float = 20.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("ELEVENLABS_API_KEY is not set")
        self._http = httpx.AsyncClient(timeout=timeout)
        self._client = AsyncElevenLabs(
            api_key=api_key, base_url=base_url, httpx_client=self._http, timeout=timeout
        )
        self._model = model
        self._default_voice = default_voice
        self._sample_rate = sample_rate
        self._stream_rate = sample_rate if sample_rate in PCM_RATES else 22050
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        # Our retry policy replaces the SDK's.
        self._options: RequestOptions = {"max_retries": 0}
        # Speech as each network read brings it: the SDK's default re-cuts it into 1 KiB
        # pieces (32 ms at 16 kHz), each one a pass through five layers of generators,
        # which at fifty sessions took half the flow's thread. (None: httpx does not re-cut.)
        self._stream_options = cast(RequestOptions, {"max_retries": 0, "chunk_size": None})
        self._languages: frozenset[str] | None = None
        self._first_voices: dict[str, str] = {}
        # Requests at once (0: as many as come); the semaphore binds to the loop that uses it.
        self._slots = asyncio.Semaphore(max_concurrency) if max_concurrency > 0 else None

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()

    async def _attempt(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """One SDK call, with its failure mapped to a ProviderError."""
        try:
            return await call()
        except ApiError as error:
            retry_after = parse_retry_after(error.headers)
            raise error_for_status(error.status_code, what, retry_after) from None
        except httpx.TimeoutException:
            raise timeout_error(what, self._timeout) from None
        except httpx.TransportError:
            raise error_for_status(None, what) from None

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """An SDK call, retried per policy and bounded by the timeout."""
        retried = with_retries(
            lambda: self._attempt(what, call), self._retry, budget=self._timeout, what=what
        )
        return await within(retried, self._timeout, what)

    async def languages(self) -> frozenset[str]:
        """The languages the configured model speaks, asked once."""
        if self._languages is None:
            models = await self._call(
                "elevenlabs models", lambda: self._client.models.list(request_options=self._options)
            )
            spoken = [m for m in models if m.model_id == self._model]
            if not spoken:
                raise ProviderError(
                    ErrorCode.PROVIDER_UNAVAILABLE,
                    f"ElevenLabs offers no model {self._model!r}",
                    retryable=False,
                )
            self._languages = frozenset(
                lang.language_id.lower() for lang in spoken[0].languages or ()
            )
        return self._languages

    def _voice_languages(self, voice: ElevenLabsVoice, model_languages: frozenset[str]) -> set[str]:
        verified = {v.language.lower() for v in voice.verified_languages or ()}
        labelled = {(voice.labels or {}).get("language", "").lower()} - {""}
        return (verified or labelled or set(model_languages)) & model_languages

    async def voices(self, language: str | None = None) -> list[Voice]:
        """The account's voices that speak `language` with the model (or all languages)."""
        model_languages = await self.languages()
        listed = await self._call(
            "elevenlabs voices", lambda: self._client.voices.get_all(request_options=self._options)
        )
        return [
            Voice(v.voice_id, v.name or v.voice_id, lang, (v.labels or {}).get("gender"), self.name)
            for v in listed.voices
            for lang in sorted(self._voice_languages(v, model_languages))
            if language in (None, lang)
        ]

    async def synthesize(
        self, text: str, language: str, voice: str | None
    ) -> AsyncIterator[SpeechChunk]:
        """Stream speech; each chunk (the first one after retries) waits at most the timeout."""
        if language not in await self.languages():
            raise ProviderError(
                ErrorCode.LANGUAGE_UNSUPPORTED, f"{self._model} does not speak {language!r}"
            )
        voice_id = voice or await self.default_voice(language)
        async with self._slots or contextlib.nullcontext():
            speak = lambda: self._open(text, language, voice_id)  # noqa: E731
            audio = await self._call("elevenlabs speech", speak)
            pcm = stream_within(audio, self._timeout, "elevenlabs speech")
            async with aclosing(pcm):
                async for chunk in resampled_chunks(pcm, self._stream_rate, self._sample_rate):
                    yield chunk

    async def default_voice(self, language: str) -> str:
        """The voice a request that names none gets: ELEVENLABS_VOICE_ID, else the first."""
        return self._default_voice or await self._first_voice(language)

    async def _first_voice(self, language: str) -> str:
        """The account's first voice for the language, asked once per language."""
        if language not in self._first_voices:
            speaking = await self.voices(language)
            if not speaking:
                raise ProviderError(
                    ErrorCode.LANGUAGE_UNSUPPORTED, f"no ElevenLabs voice speaks {language!r}"
                )
            self._first_voices[language] = speaking[0].id
        return self._first_voices[language]

    async def _open(self, text: str, language: str, voice_id: str) -> AsyncGenerator[bytes, None]:
        """Start the stream and wait for its first bytes, so that errors surface here."""
        stream = self._client.text_to_speech.stream(
            voice_id,
            text=text,
            model_id=self._model,
            language_code=language,
            output_format=f"pcm_{self._stream_rate}",
            request_options=self._stream_options,
        )
        try:
            first = await anext(stream)
        except StopAsyncIteration:
            first = b""
        except BaseException:
            await stream.aclose()
            raise

        async def relay() -> AsyncGenerator[bytes, None]:
            async with aclosing(stream):
                yield first
                async for data in stream:
                    yield data

        return relay()
