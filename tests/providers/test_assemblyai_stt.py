"""AssemblyAI streaming adapter, through the official SDK, against the local v3 stand-in."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from providers.assemblyai_stt import AssemblyAILiveStream, AssemblyAISpeechToText
from providers.base import ProviderError, SpeechStream, StreamingSpeechToText, StreamTurn
from providers.retries import RetryPolicy
from standins.assemblyai import AssemblyAIStandin, SessionFault
from standins.programme import LINES, MUSIC_TAG, music, silence, speak
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
    "he": "universal-3-5-pro",
    "ar": "whisper-rt",
}
HEBREW = LINES[0]
OTHER_HEBREW = LINES[1]
ENGLISH = LINES[3]
FRAME = 3200  # 100 ms


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[AssemblyAIStandin]:
    async with AssemblyAIStandin(KEY) as standin:
        yield standin


@pytest.fixture
def standin(server: AssemblyAIStandin) -> Iterator[AssemblyAIStandin]:
    server.reset()
    for line in (HEBREW, OTHER_HEBREW, ENGLISH):
        server.hearing.register(speak(line.said, line.language), line.said, line.language)
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


async def _feed(stream: SpeechStream, pcm: bytes, speed: float = 4.0) -> None:
    """Send audio in 100 ms frames at `speed` times real time, as a live session would."""
    for at in range(0, len(pcm), FRAME):
        stream.send(pcm[at : at + FRAME])
        await asyncio.sleep(0.1 / speed)


async def _turns(
    stream: AssemblyAILiveStream, *, finals: int, within: float = 5.0
) -> list[StreamTurn]:
    """What the stream heard, once `finals` finals have come (failures raise)."""
    heard: list[StreamTurn] = []
    deadline = time.monotonic() + within
    while sum(t.final for t in heard) < finals:
        assert time.monotonic() < deadline, f"no final in time: {heard}"
        for result in stream.take():
            if isinstance(result, ProviderError):
                raise result
            heard.append(result)
        await asyncio.sleep(0.01)
    return heard


async def test_hebrew_streams_on_one_connection_and_forced_ends_come_back_as_turns(
    standin: AssemblyAIStandin,
) -> None:
    stt = _stt(standin)
    assert isinstance(stt, StreamingSpeechToText)
    stream = stt.open_stream("he")
    assert isinstance(stream, SpeechStream)
    await _feed(stream, silence(300) + speak(HEBREW.said, "he") + silence(200))
    stream.end_turn()
    await _feed(stream, speak(OTHER_HEBREW.said, "he") + silence(200))
    stream.end_turn()
    heard = await _turns(stream, finals=2)
    await stream.close()
    finals = [t for t in heard if t.final]
    assert [(t.turn, t.text, t.language) for t in finals] == [
        (0, HEBREW.said, "he"),
        (1, OTHER_HEBREW.said, "he"),
    ]
    # Times are on the stream's clock: the first line starts after 300 ms of silence.
    assert finals[0].start_ms is not None and 300 <= finals[0].start_ms < 600
    assert finals[1].start_ms is not None and finals[1].start_ms > finals[0].start_ms + 2500
    (session,) = standin.sessions
    params = session.params
    assert params["speech_model"] == "universal-3-5-pro"
    assert params["language_codes"] == '["he"]'  # the model takes a Hebrew code
    assert params["language_detection"].lower() == "true"
    assert session.headers["authorization"] == KEY
    assert session.force_endpoints == 2 and session.terminated
    assert stream.billed_seconds > 0


async def test_english_words_grow_as_partials_and_the_formatted_final_supersedes_the_raw(
    standin: AssemblyAIStandin,
) -> None:
    stream = _stt(standin).open_stream("en")
    await _feed(stream, speak(ENGLISH.said, "en") + silence(200), speed=2.0)
    stream.end_turn()
    heard = await _turns(stream, finals=1)
    await stream.close()
    partials = [t.text for t in heard if not t.final and t.text]
    assert partials[0] == "breaking"
    assert partials[-1] == "breaking news from tel aviv"  # the raw final, shown as a partial
    assert all(b.startswith(a) for a, b in itertools.pairwise(partials))
    (final,) = [t for t in heard if t.final]
    assert final.text == ENGLISH.said
    assert "language_detection" not in standin.sessions[0].params


async def test_a_turn_heard_in_another_language_says_which(standin: AssemblyAIStandin) -> None:
    stream = _stt(standin).open_stream("he")
    await _feed(stream, speak(ENGLISH.said, "en") + silence(200))
    stream.end_turn()
    (final,) = [t for t in await _turns(stream, finals=1) if t.final]
    await stream.close()
    assert (final.text, final.language) == (ENGLISH.said, "en")
    assert final.language_confidence is not None and final.language_confidence > 0.5


async def test_whisper_rt_names_music_with_a_tag_not_a_word(standin: AssemblyAIStandin) -> None:
    standin.hearing.register(music(2.0), MUSIC_TAG, "en", speech=False)
    stream = _stt(standin).open_stream("ar")
    await _feed(stream, music(2.0) + silence(200), speed=8.0)
    stream.end_turn()
    (final,) = [t for t in await _turns(stream, finals=1) if t.final]
    await stream.close()
    assert final.text == MUSIC_TAG
    assert "language_codes" not in standin.sessions[0].params  # whisper-rt takes none


async def test_a_connection_dropped_mid_utterance_resends_only_what_no_final_covered(
    standin: AssemblyAIStandin,
) -> None:
    first, second = speak(HEBREW.said, "he"), speak(OTHER_HEBREW.said, "he")
    standin.faults.append(SessionFault(drop_after_ms=len(first) // 32 + 400 + 1500))
    stream = _stt(standin).open_stream("he")
    await _feed(stream, first + silence(400))
    stream.end_turn()
    await _turns(stream, finals=1)  # the first line is final before the line drops
    await _feed(stream, second + silence(200))
    stream.end_turn()
    heard = await _turns(stream, finals=1)
    await stream.close()
    assert [t.text for t in heard if t.final] == [OTHER_HEBREW.said]
    assert [t.turn for t in heard if t.final] == [1]
    _dropped, resumed = standin.sessions
    # The new connection heard the audio after the first line's last word (its quiet
    # tail and the pause) and the whole second line (its last message padded to 50 ms).
    tail = len(first) - standin.hearing.clips[0].sound_end + 400 * 32
    assert len(second) <= resumed.audio_bytes <= tail + len(second) + 200 * 32 + 50 * 32


async def test_speaker_labels_name_each_voice_per_connection(standin: AssemblyAIStandin) -> None:
    standin.hearing.clear()
    voices = [(HEBREW, "he"), (OTHER_HEBREW, "he+f3"), (HEBREW, "he+f3")]
    clips = [speak(line.said, voice) for line, voice in voices]
    for (line, voice), pcm in zip(voices, clips, strict=True):
        standin.hearing.register(pcm, line.said, "he", speaker=voice)
    labels = []
    for _ in range(2):  # two connections: each names the voices afresh
        stream = _stt(standin, max_speakers=4).open_stream("he")
        for pcm in clips:
            await _feed(stream, pcm + silence(300), speed=8.0)
            stream.end_turn()
        finals = [t for t in await _turns(stream, finals=3) if t.final]
        await stream.close()
        labels.append([t.speaker for t in finals])
    first, second = labels
    # One connection: the voice heard first is A, the other B, whatever the words.
    assert [label.rpartition(":")[2] for label in first if label] == ["A", "B", "B"]
    assert first[1] == first[2] != first[0]
    assert {a.rpartition(":")[0] for a in first if a} != {b.rpartition(":")[0] for b in second if b}
    params = standin.sessions[0].params
    assert params["speaker_labels"].lower() == "true" and params["max_speakers"] == "4"
    # Without max_speakers the flow told no speakers apart: nothing asked, nothing labelled.
    stream = _stt(standin).open_stream("he")
    await _feed(stream, clips[0] + silence(300), speed=8.0)
    stream.end_turn()
    (plain,) = [t for t in await _turns(stream, finals=1) if t.final]
    await stream.close()
    assert plain.speaker is None and "speaker_labels" not in standin.sessions[-1].params


@pytest.mark.parametrize("code", [1008, 3009])
async def test_too_many_sessions_is_retried_as_a_rate_limit(
    standin: AssemblyAIStandin, code: int
) -> None:
    standin.too_many_sessions_code = code
    standin.new_sessions_per_minute = 0  # the next one is refused...
    stream = _stt(
        standin, retry=RetryPolicy(attempts=6, initial_delay=0.1, max_delay=0.2)
    ).open_stream("he")
    stream.send(silence(100))
    await asyncio.sleep(0.15)
    standin.new_sessions_per_minute = None  # ...until the minute has room again
    await _feed(stream, speak(HEBREW.said, "he") + silence(200))
    stream.end_turn()
    heard = await _turns(stream, finals=1)
    await stream.close()
    assert [t.text for t in heard if t.final] == [HEBREW.said]
    assert len(standin.sessions) >= 2


async def test_persistent_too_many_sessions_reports_a_rate_limit_never_an_auth_failure(
    standin: AssemblyAIStandin,
) -> None:
    standin.too_many_sessions_code = 1008
    standin.new_sessions_per_minute = 0
    stream = _stt(standin).open_stream("he")
    stream.send(silence(100))
    deadline = time.monotonic() + 5
    results: list[StreamTurn | ProviderError] = []
    while not results and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        results = stream.take()
    stream.abort()
    (error,) = results
    assert isinstance(error, ProviderError)
    assert error.code is ErrorCode.PROVIDER_RATE_LIMITED and error.retryable
    assert len(standin.sessions) == FAST_RETRIES.attempts


async def test_an_idle_connection_closed_by_the_provider_reopens_for_the_next_speech(
    standin: AssemblyAIStandin,
) -> None:
    stream = _stt(standin, inactivity_timeout_s=1).open_stream("he")
    await _feed(stream, speak(HEBREW.said, "he") + silence(200))
    stream.end_turn()
    await _turns(stream, finals=1)
    await asyncio.sleep(1.5)  # the provider ends the idle session
    await _feed(stream, speak(OTHER_HEBREW.said, "he") + silence(200))
    stream.end_turn()
    heard = await _turns(stream, finals=1)
    await stream.close()
    assert [t.text for t in heard if t.final] == [OTHER_HEBREW.said]
    assert len(standin.sessions) == 2


async def test_a_segment_through_its_own_session_file_mode(standin: AssemblyAIStandin) -> None:
    transcript = await _stt(standin).transcribe(silence(200) + speak(HEBREW.said, "he"), "he")
    assert (transcript.text, transcript.language, transcript.final) == (HEBREW.said, "he", True)
    assert transcript.words and transcript.words[0].text == HEBREW.said.split()[0]
    (session,) = standin.sessions
    assert session.force_endpoints == 1 and session.terminated


async def test_paced_sending_takes_real_time(standin: AssemblyAIStandin) -> None:
    started = time.monotonic()
    await _stt(standin, send_speed=1.0).transcribe(silence(600), "en")
    assert time.monotonic() - started >= 0.5


async def test_a_language_without_a_model_is_refused_before_connecting(
    standin: AssemblyAIStandin,
) -> None:
    with pytest.raises(ProviderError) as raised:
        _stt(standin).open_stream("ja")
    assert raised.value.code is ErrorCode.LANGUAGE_UNSUPPORTED
    with pytest.raises(ProviderError):
        # A model that does not speak the language is no model for it.
        _stt(standin, speech_models={"he": "universal-streaming-multilingual"}).open_stream("he")
    assert not standin.sessions
    fallback = _stt(standin, fallback_model="whisper-rt")
    await fallback.transcribe(silence(100), "ja")
    assert standin.sessions[0].params["speech_model"] == "whisper-rt"


async def test_a_refused_key_is_provider_auth_and_never_shows_the_key(
    standin: AssemblyAIStandin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = _stt(standin, key="aai-wrong-secret")
    with pytest.raises(ProviderError) as raised:
        await wrong.transcribe(silence(500), "en")
    assert raised.value.code is ErrorCode.PROVIDER_AUTH
    assert len(standin.sessions) == 1  # not retried
    for text in (str(raised.value), repr(raised.value), caplog.text, repr(wrong)):
        assert "aai-wrong-secret" not in text


async def test_429_at_the_handshake_is_retried_then_succeeds(standin: AssemblyAIStandin) -> None:
    standin.faults.append(SessionFault(status=429, retry_after=0.2))
    transcript = await _stt(standin).transcribe(speak(HEBREW.said, "he"), "he")
    assert transcript.text == HEBREW.said
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
        await _stt(standin).transcribe(silence(500), "en")
    assert raised.value.code is code
    assert len(standin.sessions) == FAST_RETRIES.attempts


async def test_a_server_error_in_session_is_provider_unavailable(
    standin: AssemblyAIStandin,
) -> None:
    standin.faults.extend([SessionFault(close_code=3005, error="Session Cancelled")] * 5)
    with pytest.raises(ProviderError) as raised:
        await _stt(standin).transcribe(silence(500), "en")
    assert raised.value.code is ErrorCode.PROVIDER_UNAVAILABLE


async def test_a_session_that_never_begins_is_provider_timeout(
    standin: AssemblyAIStandin,
) -> None:
    standin.faults.append(SessionFault(stall=True))
    started = time.monotonic()
    with pytest.raises(ProviderError) as raised:
        await _stt(standin, timeout=0.5).transcribe(silence(500), "en")
    assert raised.value.code is ErrorCode.PROVIDER_TIMEOUT
    assert time.monotonic() - started < 1.5


async def test_closing_sends_a_short_tail_and_ends_at_once(standin: AssemblyAIStandin) -> None:
    stream = _stt(standin).open_stream("he")
    pcm = speak(HEBREW.said, "he") + silence(130)  # 30 ms past whole messages
    await _feed(stream, pcm)
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await stream.close()
    assert time.monotonic() - started < 1.0
    (session,) = standin.sessions
    assert session.terminated and session.audio_bytes >= len(pcm)
    assert [t.text for t in stream.take() if isinstance(t, StreamTurn) and t.final] == [HEBREW.said]
