"""AssemblyAI streaming adapter, through the official SDK, against a local v3 WebSocket stand-in."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from providers.assemblyai_stt import AssemblyAISpeechToText
from providers.base import ProviderError, SpeechStream, StreamingSpeechToText, Transcript
from providers.retries import RetryPolicy
from tests.providers.standins.assemblyai import AssemblyAIStandin, SessionFault
from wire.errors import ErrorCode

# assemblyai 1.8.2 reads ConnectionClosed.code and .reason, deprecated in websockets
# 13.1; the warning (an error here) would otherwise kill the SDK's I/O task on
# abnormal closes.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:ConnectionClosed\.(code|reason) is deprecated:DeprecationWarning"
)

KEY = "aai-test-key-7f1e2d3c4b5a"
FAST_RETRIES = RetryPolicy(attempts=3, initial_delay=0.05, max_delay=0.2)
MODELS = {
    "en": "universal-streaming-english",
    "es": "universal-streaming-multilingual",
    "he": "whisper-rt",
}


def silence(seconds: float) -> bytes:
    return bytes(int(16000 * seconds) * 2)


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[AssemblyAIStandin]:
    async with AssemblyAIStandin(KEY) as standin:
        yield standin


@pytest.fixture
def standin(server: AssemblyAIStandin) -> Iterator[AssemblyAIStandin]:
    server.reset()
    yield server
    server.reset()


def _stt(standin: AssemblyAIStandin, **options: object) -> AssemblyAISpeechToText:
    settings: dict[str, object] = {
        "host": standin.host,
        "speech_models": MODELS,
        "send_speed": 0.0,  # the stand-in does not need real-time pacing
        "timeout": 3.0,
        "retry": FAST_RETRIES,
    }
    return AssemblyAISpeechToText(options.pop("key", KEY), **(settings | options))  # type: ignore[arg-type]


async def test_a_segment_streams_in_100ms_messages_and_comes_back_formatted(
    standin: AssemblyAIStandin,
) -> None:
    standin.transcript = "good evening and welcome"
    transcript = await _stt(standin).transcribe(silence(1.5), "en")
    assert transcript.text == "Good evening and welcome."
    assert transcript.final and transcript.language == "en"
    assert [(w.text, w.start_ms) for w in transcript.words] == [
        ("good", 0),
        ("evening", 300),
        ("and", 600),
        ("welcome", 900),
    ]
    (session,) = standin.sessions
    assert session.headers["authorization"] == KEY
    assert session.params["speech_model"] == "universal-streaming-english"
    assert (session.params["sample_rate"], session.params["encoding"]) == ("16000", "pcm_s16le")
    assert "language_detection" not in session.params
    assert (session.messages, session.audio_bytes, session.terminated) == (15, 48000, True)


async def test_a_short_tail_is_padded_to_the_apis_minimum(standin: AssemblyAIStandin) -> None:
    transcript = await _stt(standin).transcribe(silence(0.33), "en")
    assert transcript.text == "Hello."
    assert standin.sessions[0].messages == 4  # 3 x 100 ms, then 30 ms padded to 50 ms


@pytest.mark.parametrize(
    ("language", "said", "model"),
    [
        ("es", "buenas noches", "universal-streaming-multilingual"),
        ("he", "ערב טוב", "whisper-rt"),  # detects the language itself
    ],
)
async def test_other_languages_use_their_model_and_report_what_was_heard(
    standin: AssemblyAIStandin, language: str, said: str, model: str
) -> None:
    standin.transcript, standin.language = said, language
    transcript = await _stt(standin).transcribe(silence(0.9), language)
    assert (transcript.text, transcript.language) == (said.capitalize() + ".", language)
    params = standin.sessions[0].params
    assert params["speech_model"] == model
    assert params["language_detection"].lower() == "true"
    assert not {"language_code", "language_codes"} & params.keys()


async def test_a_language_without_a_model_is_refused_before_connecting(
    standin: AssemblyAIStandin,
) -> None:
    with pytest.raises(ProviderError) as raised:
        await _stt(standin).transcribe(silence(0.5), "ja")
    assert raised.value.code is ErrorCode.LANGUAGE_UNSUPPORTED
    assert not standin.sessions
    fallback = _stt(standin, fallback_model="whisper-rt")
    await fallback.transcribe(silence(0.5), "ja")
    assert standin.sessions[0].params["speech_model"] == "whisper-rt"


async def test_a_partial_request_skips_formatting_and_returns_the_latest_words(
    standin: AssemblyAIStandin,
) -> None:
    standin.transcript = "one two three four"
    transcript = await _stt(standin).transcribe(silence(0.7), "en", final=False)
    assert transcript.text == "one two"
    assert standin.sessions[0].params["format_turns"].lower() == "false"


async def test_a_live_stream_yields_partials_then_the_final_turn(
    standin: AssemblyAIStandin,
) -> None:
    standin.transcript = "live words arrive as spoken"
    stt = _stt(standin)
    assert isinstance(stt, StreamingSpeechToText)
    stream = await stt.open_stream("en")
    assert isinstance(stream, SpeechStream)
    seen: list[Transcript] = []

    async def read() -> None:
        async for transcript in stream.transcripts():
            seen.append(transcript)

    reading = asyncio.create_task(read())
    for _ in range(50):  # 1.5 s in 30 ms frames, as a browser might send them
        await stream.send(silence(0.03))
    await stream.close()
    await reading
    partials = [t.text for t in seen if not t.final]
    spoken = ["live", "words", "arrive", "as", "spoken"]
    assert partials == [" ".join(spoken[:n]) for n in range(1, 6)]
    assert [t.text for t in seen if t.final] == ["Live words arrive as spoken."]


async def test_paced_sending_takes_real_time(standin: AssemblyAIStandin) -> None:
    started = time.monotonic()
    await _stt(standin, send_speed=1.0).transcribe(silence(0.6), "en")
    assert time.monotonic() - started >= 0.5


async def test_a_refused_key_is_provider_auth_and_never_shows_the_key(
    standin: AssemblyAIStandin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = _stt(standin, key="aai-wrong-secret")
    with pytest.raises(ProviderError) as raised:
        await wrong.transcribe(silence(0.5), "en")
    assert raised.value.code is ErrorCode.PROVIDER_AUTH
    assert len(standin.sessions) == 1  # not retried
    for text in (str(raised.value), repr(raised.value), caplog.text, repr(wrong)):
        assert "aai-wrong-secret" not in text


async def test_429_at_the_handshake_is_retried_then_succeeds(standin: AssemblyAIStandin) -> None:
    standin.faults.append(SessionFault(status=429, retry_after=0.2))
    transcript = await _stt(standin).transcribe(silence(0.5), "en")
    assert transcript.text == "Hello."
    assert len(standin.sessions) == 2


@pytest.mark.parametrize(
    ("status", "code"),
    [(429, ErrorCode.PROVIDER_RATE_LIMITED), (500, ErrorCode.PROVIDER_UNAVAILABLE)],
)
async def test_a_persistent_refusal_ends_with_its_code_after_the_retries(
    standin: AssemblyAIStandin, status: int, code: ErrorCode
) -> None:
    standin.faults.extend([SessionFault(status=status)] * 5)
    with pytest.raises(ProviderError) as raised:
        await _stt(standin).transcribe(silence(0.5), "en")
    assert raised.value.code is code
    assert len(standin.sessions) == FAST_RETRIES.attempts


async def test_5xx_at_the_handshake_is_retried_then_succeeds(standin: AssemblyAIStandin) -> None:
    standin.faults.extend([SessionFault(status=503), SessionFault(status=502)])
    assert (await _stt(standin).transcribe(silence(0.5), "en")).text == "Hello."
    assert len(standin.sessions) == 3


async def test_a_server_error_in_session_is_provider_unavailable(
    standin: AssemblyAIStandin,
) -> None:
    standin.faults.append(SessionFault(close_code=3005, error="Server error"))
    with pytest.raises(ProviderError) as raised:
        await _stt(standin, retry=RetryPolicy(attempts=1)).transcribe(silence(0.5), "en")
    assert raised.value.code is ErrorCode.PROVIDER_UNAVAILABLE


async def test_a_session_that_never_begins_is_provider_timeout(
    standin: AssemblyAIStandin,
) -> None:
    standin.faults.append(SessionFault(stall=True))
    started = time.monotonic()
    with pytest.raises(ProviderError) as raised:
        await _stt(standin, timeout=0.5).transcribe(silence(0.5), "en")
    assert raised.value.code is ErrorCode.PROVIDER_TIMEOUT
    assert time.monotonic() - started < 1.5
