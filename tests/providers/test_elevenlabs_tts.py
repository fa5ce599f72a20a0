"""ElevenLabs adapter, through the official SDK, against a local server speaking ElevenLabs' API."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable

import pytest

from providers.base import ProviderError
from providers.elevenlabs_tts import ElevenLabsTextToSpeech
from providers.retries import RetryPolicy
from standins.elevenlabs import SECONDS_PER_CHARACTER, Latency, Usage, elevenlabs_app
from standins.http import Fault, Faults, serving
from tests.providers.speech import collect_speech
from wire.errors import ErrorCode

KEY = "sk_elevenlabs_test_0123456789abcdef"
FAST_RETRIES = RetryPolicy(attempts=3, initial_delay=0.05, max_delay=0.2)
Keep = Callable[[ElevenLabsTextToSpeech], ElevenLabsTextToSpeech]
TEXT = "Welcome back to the evening news."


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[tuple[str, Faults]]:
    async with serving(elevenlabs_app, KEY) as served:
        yield served


@pytest.fixture
def client(server: tuple[str, Faults], closing: Keep) -> Callable[..., ElevenLabsTextToSpeech]:
    """Builds adapters on the stand-in (closed after the test); keywords override the defaults."""

    def build(key: str = KEY, **options: object) -> ElevenLabsTextToSpeech:
        settings: dict[str, object] = {"base_url": server[0], "timeout": 3.0, "retry": FAST_RETRIES}
        return closing(ElevenLabsTextToSpeech(key, **(settings | options)))  # type: ignore[arg-type]

    return build


@pytest.fixture
def elevenlabs(
    client: Callable[..., ElevenLabsTextToSpeech], faults: Faults
) -> ElevenLabsTextToSpeech:
    return client()


async def test_streams_pcm_at_the_requested_rate(
    elevenlabs: ElevenLabsTextToSpeech, faults: Faults
) -> None:
    pcm, rate, chunks = await collect_speech(
        elevenlabs.synthesize(TEXT, "en", "JBFqnCBsd6RMkjVDRZzb")
    )
    assert rate == 16000
    assert chunks > 1 and len(pcm) % 2 == 0
    assert len(pcm) / 2 / rate == pytest.approx(len(TEXT) * SECONDS_PER_CHARACTER, abs=0.01)
    (sent,) = faults.requests_to("/stream")
    assert sent.path == "/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb/stream"
    assert sent.headers["xi-api-key"] == KEY
    assert sent.args["output_format"] == "pcm_16000"
    assert (sent.body["model_id"], sent.body["language_code"]) == ("eleven_flash_v2_5", "en")


async def test_a_rate_elevenlabs_does_not_stream_is_resampled(
    client: Callable[..., ElevenLabsTextToSpeech], faults: Faults
) -> None:
    tts = client(sample_rate=11025)
    pcm, rate, _ = await collect_speech(tts.synthesize(TEXT, "en", "JBFqnCBsd6RMkjVDRZzb"))
    assert rate == 11025
    assert faults.requests_to("/stream")[0].args["output_format"] == "pcm_22050"
    assert len(pcm) / 2 / rate == pytest.approx(len(TEXT) * SECONDS_PER_CHARACTER, abs=0.01)


async def test_voices_per_language_from_the_account_and_the_model(
    elevenlabs: ElevenLabsTextToSpeech,
) -> None:
    spanish = await elevenlabs.voices("es")
    assert [(v.id, v.name, v.gender) for v in spanish] == [
        ("EXAVITQu4vr4xnSDxMaL", "Sarah", "female"),
        ("k3yV01ceCl0ne", "Narrator", None),
    ]
    assert {v.name for v in await elevenlabs.voices("en")} == {"George", "Sarah", "Narrator"}
    assert await elevenlabs.voices("he") == []
    everything = await elevenlabs.voices()
    assert {(v.name, v.language) for v in everything} >= {("Narrator", "de"), ("George", "en")}


async def test_without_a_voice_the_first_for_the_language_speaks(
    elevenlabs: ElevenLabsTextToSpeech, faults: Faults
) -> None:
    for _ in range(2):
        await collect_speech(elevenlabs.synthesize("Hola a todos.", "es", None))
    paths = [seen.path for seen in faults.requests_to("/stream")]
    assert paths == ["/v1/text-to-speech/EXAVITQu4vr4xnSDxMaL/stream"] * 2
    assert len(faults.requests_to("/v1/voices")) == 1


async def test_a_language_the_model_does_not_speak_is_refused_before_synthesis(
    elevenlabs: ElevenLabsTextToSpeech, faults: Faults
) -> None:
    with pytest.raises(ProviderError) as raised:
        await collect_speech(elevenlabs.synthesize("שלום", "he", None))
    assert raised.value.code is ErrorCode.LANGUAGE_UNSUPPORTED
    assert not faults.requests_to("/stream")


async def test_a_refused_key_is_provider_auth_and_never_shows_the_key(
    client: Callable[..., ElevenLabsTextToSpeech],
    faults: Faults,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = client(key="sk_wrong_secret_key")
    with pytest.raises(ProviderError) as raised:
        await collect_speech(wrong.synthesize(TEXT, "en", "JBFqnCBsd6RMkjVDRZzb"))
    assert raised.value.code is ErrorCode.PROVIDER_AUTH
    assert len(faults.seen) == 1  # not retried
    for text in (str(raised.value), repr(raised.value), caplog.text, repr(wrong)):
        assert "sk_wrong_secret_key" not in text


async def test_an_unknown_voice_is_not_retried(
    elevenlabs: ElevenLabsTextToSpeech, faults: Faults
) -> None:
    with pytest.raises(ProviderError) as raised:
        await collect_speech(elevenlabs.synthesize(TEXT, "en", "no-such-voice"))
    assert (raised.value.code, raised.value.retryable) == (ErrorCode.PROVIDER_UNAVAILABLE, False)
    assert len(faults.requests_to("/stream")) == 1


async def test_429_is_retried_after_the_time_the_server_asks(
    elevenlabs: ElevenLabsTextToSpeech, faults: Faults
) -> None:
    await elevenlabs.languages()
    faults.plan(Fault(429, retry_after=0.6))
    pcm, _, _ = await collect_speech(elevenlabs.synthesize(TEXT, "en", "JBFqnCBsd6RMkjVDRZzb"))
    assert pcm
    first, second = faults.requests_to("/stream")
    assert second.at - first.at >= 0.6  # far above the 0.05 s backoff: Retry-After honoured


async def test_persistent_429_is_provider_rate_limited(
    elevenlabs: ElevenLabsTextToSpeech, faults: Faults
) -> None:
    await elevenlabs.languages()
    faults.plan(*[Fault(429, retry_after=0.1)] * 5)
    with pytest.raises(ProviderError) as raised:
        await collect_speech(elevenlabs.synthesize(TEXT, "en", "JBFqnCBsd6RMkjVDRZzb"))
    assert raised.value.code is ErrorCode.PROVIDER_RATE_LIMITED
    assert len(faults.requests_to("/stream")) == FAST_RETRIES.attempts


async def test_5xx_is_retried_then_succeeds(
    elevenlabs: ElevenLabsTextToSpeech, faults: Faults
) -> None:
    await elevenlabs.languages()
    faults.plan(Fault(500), Fault(503))
    pcm, _, _ = await collect_speech(elevenlabs.synthesize(TEXT, "en", "JBFqnCBsd6RMkjVDRZzb"))
    assert pcm
    assert len(faults.requests_to("/stream")) == 3


async def test_persistent_5xx_is_provider_unavailable(
    elevenlabs: ElevenLabsTextToSpeech, faults: Faults
) -> None:
    faults.plan(*[Fault(502)] * 5)
    with pytest.raises(ProviderError) as raised:
        await elevenlabs.voices("en")
    assert raised.value.code is ErrorCode.PROVIDER_UNAVAILABLE
    assert len(faults.seen) == FAST_RETRIES.attempts


async def test_a_stalled_server_is_provider_timeout(
    client: Callable[..., ElevenLabsTextToSpeech], faults: Faults
) -> None:
    quick = client(timeout=0.5)
    await quick.languages()
    faults.plan(Fault(200, stall=1.5))
    started = time.monotonic()
    with pytest.raises(ProviderError) as raised:
        await collect_speech(quick.synthesize(TEXT, "en", "JBFqnCBsd6RMkjVDRZzb"))
    assert raised.value.code is ErrorCode.PROVIDER_TIMEOUT
    assert time.monotonic() - started < 1.0


async def test_more_requests_than_the_plan_allows_wait_their_turn_instead_of_failing(
    closing: Keep,
) -> None:
    usage = Usage()
    limited = functools.partial(
        elevenlabs_app, latency=Latency(first_chunk_ms=50, speed=20), max_concurrency=2, usage=usage
    )
    async with serving(limited, KEY) as (url, faults):
        tts = closing(
            ElevenLabsTextToSpeech(KEY, base_url=url, max_concurrency=2, retry=FAST_RETRIES)
        )
        spoken = await asyncio.gather(
            *(collect_speech(tts.synthesize(TEXT, "en", "JBFqnCBsd6RMkjVDRZzb")) for _ in range(5))
        )
    assert all(len(pcm) > 0 for pcm, _, _ in spoken)
    assert usage.most_at_once == 2
    assert len(faults.requests_to("/stream")) == 5  # none refused, none retried
    assert usage.billed_characters == 5 * len(TEXT)


async def test_the_first_audio_comes_before_the_whole_speech_is_made(closing: Keep) -> None:
    slow = functools.partial(elevenlabs_app, latency=Latency(first_chunk_ms=100, speed=1.0))
    async with serving(slow, KEY) as (url, _):
        tts = closing(ElevenLabsTextToSpeech(KEY, base_url=url, retry=FAST_RETRIES))
        started = time.monotonic()
        speech = tts.synthesize(TEXT, "en", "JBFqnCBsd6RMkjVDRZzb")
        await anext(speech)
        first = time.monotonic() - started
        async for _ in speech:
            pass
        whole = time.monotonic() - started
    assert first < 0.5 < whole  # 33 characters: about 2 s of speech, made in real time
