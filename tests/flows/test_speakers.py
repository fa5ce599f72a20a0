"""The speakers step (each final gets its speaker, in order, across a restore) and the voices:
speaker 1 keeps the session's, each other speaker gets one of its own from the catalog."""

from __future__ import annotations

import pickle
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import numpy as np
import pytest

import settings
from flows.items import PathDone, SpeechSegment, StreamEnd, Transcribed, Voiceprint
from flows.speakers import (
    SessionSpeakers,
    SpeakerSetup,
    dub_by_speaker,
    speaker_voices,
    timbre,
    voice_of,
    voiceprint,
)
from flows.speech_steps import SpeechProviders
from providers import registry
from providers.base import Transcript, Voice
from providers.noop import NoopSpeechToText, NoopTranslator
from providers.speaker_embedder import SpeakerEmbedder
from tests.providers.speech import collect_speech
from wire.audio import SessionSettings
from wire.events import ResultEvent

SESSION = SessionSettings("s1", "u1", source_language="en", target_language="es")
JOE, OTHER = np.eye(4, dtype=np.float32)[0], np.eye(4, dtype=np.float32)[1]
SETUP = SpeakerSetup(SpeakerEmbedder, threshold=0.68, max_speakers=4)


def _final(segment: int, text: str = "hello there", turn: int = 0) -> Transcribed:
    seg = SpeechSegment(
        SESSION, segment, b"", segment * 1000, segment * 1000 + 900, True, turn=turn
    )
    return Transcribed(seg, Transcript(text, "en"))


def _partial(segment: int) -> Transcribed:
    seg = SpeechSegment(SESSION, segment, b"", 0, 500, final=False, partial_index=1)
    return Transcribed(seg, Transcript("hel", "en"))


def _print(segment: int, vector: np.ndarray | None, speech_ms: int = 2000) -> Voiceprint:
    return Voiceprint(SESSION, segment, vector, speech_ms)


def _speakers(out: list[Transcribed | StreamEnd]) -> list[tuple[int, bool, int | None]]:
    return [
        (i.segment.segment, i.segment.final, i.segment.speaker)
        for i in out
        if isinstance(i, Transcribed)
    ]


def test_a_final_waits_for_its_voiceprint_and_what_follows_waits_behind_it() -> None:
    step = SessionSpeakers(SETUP)
    out, _ = step.on_batch([_final(0), _partial(1)])
    assert out == []  # no voiceprint for segment 0 yet: the partial keeps its place behind it
    out, _ = step.on_batch([_print(0, JOE)])
    assert _speakers(out) == [(0, True, 1), (1, False, None)]


def test_voices_are_numbered_as_they_first_speak_and_keep_their_number() -> None:
    step = SessionSpeakers(SETUP)
    prints = [_print(n, v) for n, v in enumerate((JOE, OTHER, JOE, OTHER))]
    out, _ = step.on_batch([*prints, *(_final(n) for n in range(4))])
    assert [s for _, _, s in _speakers(out)] == [1, 2, 1, 2]


def test_a_short_utterance_joins_a_speaker_heard_and_silence_or_failure_has_none() -> None:
    step = SessionSpeakers(SETUP)
    out, _ = step.on_batch([_print(0, JOE), _final(0), _print(1, OTHER), _final(1)])
    out, _ = step.on_batch([_print(2, OTHER * 0.9 + JOE * 0.1, speech_ms=500), _final(2, "Yes.")])
    assert _speakers(out) == [(2, True, 2)]
    out, _ = step.on_batch([_print(3, None, speech_ms=0), _final(3)])
    assert _speakers(out) == [(3, True, None)]  # two speakers heard: unknown, not a guess


def test_turns_of_one_segment_share_its_speaker_and_voiceprints_without_a_final_go() -> None:
    step = SessionSpeakers(SETUP)
    out, _ = step.on_batch([_print(0, JOE), _print(1, OTHER), _print(2, OTHER), _final(2)])
    out += step.on_batch([_final(2, "and more", turn=1)])[0]
    assert _speakers(out) == [(2, True, 1), (2, True, 1)]
    assert step.snapshot().prints == {}  # segments 0 and 1 never had a final


def test_failures_partials_and_empty_finals_pass_without_waiting() -> None:
    step = SessionSpeakers(SETUP)
    empty = replace(_final(0), transcript=Transcript("  ", "en"))
    out, _ = step.on_batch([empty, _partial(1)])
    assert _speakers(out) == [(0, True, None), (1, False, None)]


def test_voiceprints_of_segments_nobody_said_anything_in_do_not_pile_up() -> None:
    step = SessionSpeakers(SETUP)  # music: speech to the VAD, nothing to speech-to-text
    for segment in range(50):
        empty = replace(_final(segment), transcript=Transcript("", "en"))
        step.on_batch([_print(segment, JOE), empty])
    assert set(step.snapshot().prints) == {(49, 0)}


def test_the_stream_end_lets_everything_out_and_the_state_goes() -> None:
    step = SessionSpeakers(SETUP)
    end = StreamEnd(SESSION, 1)
    out, keep = step.on_batch([_print(0, JOE), _final(0), end])
    assert out[-1] == end and keep is SessionSpeakers.DISCARD


def test_a_restored_step_numbers_speakers_as_the_first_one_did() -> None:
    first = SessionSpeakers(SETUP)
    first.on_batch([_print(0, JOE), _final(0), _print(1, OTHER), _final(1), _final(2)])
    saved = pickle.loads(pickle.dumps(first.snapshot()))  # as Bytewax stores it
    for step in (first, SessionSpeakers(SETUP, saved)):
        out, _ = step.on_batch([_print(2, OTHER), _print(3, JOE), _final(3)])
        assert _speakers(out) == [(2, True, 2), (3, True, 1)]


async def test_a_failed_embedding_is_an_unknown_speaker() -> None:
    class Broken:
        name = "broken"

        async def embed(self, pcm: bytes) -> tuple[np.ndarray | None, int]:
            raise RuntimeError("no model")

    segment = SpeechSegment(SESSION, 7, bytes(3200), 0, 100, final=True)
    assert await voiceprint(Broken(), segment) == [Voiceprint(SESSION, 7, None, 0)]


# -- voices ------------------------------------------------------------------------------


def _voices(*ids: str) -> list[Voice]:
    return [Voice(i, i, "es") for i in ids]


def test_dialects_share_a_timbre_and_variants_do_not() -> None:
    assert timbre("espeak:en-gb") == timbre("espeak:en-us") == "espeak+"
    assert timbre("espeak:en-us+f3") == "espeak+f3" != timbre("espeak:es+m7")
    assert timbre("piper:joe") == "piper:joe"


def test_speakers_get_distinct_timbres_first_then_the_rest_in_catalog_order() -> None:
    catalog = _voices("espeak:es", "espeak:es-419", "espeak:es+f3", "espeak:es+m7")
    assert speaker_voices(catalog, None) == [
        "espeak:es",
        "espeak:es+f3",
        "espeak:es+m7",
        "espeak:es-419",
    ]
    # The session's voice leads, and nobody else gets it.
    assert speaker_voices(catalog, "espeak:es+m7")[:2] == ["espeak:es+m7", "espeak:es"]
    assert voice_of(catalog, None, 1) is None  # speaker 1: the session's, as it was
    assert voice_of(catalog, None, 2) == "espeak:es+f3"
    assert voice_of(catalog, None, 5) == "espeak:es"  # more speakers than voices: round again
    assert voice_of([], "mine", 3) == "mine"


async def test_the_offline_english_catalog_gives_joe_then_espeak_ng_voices() -> None:
    tts = registry.text_to_speech(settings.load())
    catalog = await tts.voices("en")  # type: ignore[attr-defined]
    voices = speaker_voices(catalog, None)
    assert voices[0] == "piper:en_US-joe-medium"
    assert [timbre(v) for v in voices[:6]] == [
        "piper:en_US-joe-medium",
        "espeak+",
        "espeak+f3",
        "espeak+m7",
        "espeak+klatt",
        "espeak+f1",
    ]


async def _audio(
    events: AsyncIterator[list[ResultEvent | PathDone]],
) -> tuple[bytes, set[int | None]]:
    import base64

    out = [e async for batch in events for e in batch if isinstance(e, ResultEvent)]
    pcm = b"".join(base64.b64decode(e.data or "") for e in out if e.type == "audio")
    return pcm, {e.speaker for e in out}


async def test_each_speaker_is_dubbed_in_its_own_voice() -> None:
    espeak = registry.text_to_speech(replace(settings.load(), tts_provider="espeak"))
    providers = SpeechProviders(NoopSpeechToText(["en", "es"]), NoopTranslator(), espeak)
    said = _final(0)  # heard in Spanish, spoken in Spanish: no translation to wait for
    said = replace(said, transcript=Transcript("Buenas noches a todos.", "es"))
    first, second = (replace(said, segment=replace(said.segment, speaker=n)) for n in (1, 2))
    one, speakers_one = await _audio(dub_by_speaker(providers, first))
    two, speakers_two = await _audio(dub_by_speaker(providers, second))
    assert speakers_one == {1} and speakers_two == {2}
    alone, _, _ = await collect_speech(
        espeak.synthesize("Buenas noches a todos.", "es", "espeak:es+f3")
    )
    again, _ = await _audio(dub_by_speaker(providers, second))
    # By ear (the speaker embedder): speaker 2 sounds like the catalog's first other timbre,
    # every time, and not like speaker 1.
    embedder = SpeakerEmbedder()
    one_v, two_v, alone_v, again_v = (
        embedder.embed_now(pcm)[0] for pcm in (one, two, alone, again)
    )
    assert one_v is not None and two_v is not None and alone_v is not None and again_v is not None
    assert float(two_v @ alone_v) > 0.95 and float(two_v @ again_v) > 0.95
    assert float(one_v @ two_v) < SETUP.threshold


@pytest.mark.parametrize("embedder", ["none", "voicefilter"])
def test_the_setup_follows_the_settings(embedder: str) -> None:
    cfg = replace(settings.load(), speaker_embedder=embedder, max_speakers=3)
    setup = SpeakerSetup.from_settings(cfg)
    assert (setup is None) == (embedder == "none")
    if setup is not None:
        assert setup.max_speakers == 3 and setup.embedder().name == "voicefilter"


# -- a streaming provider's labels ---------------------------------------------------------


def _turn(segment: int, label: str | None, turn: int = 0) -> Transcribed:
    final = _final(segment, turn=turn)
    return replace(final, segment=replace(final.segment, speaker_label=label))


def _turn_print(segment: int, vector: np.ndarray, turn: int = 0) -> Voiceprint:
    return Voiceprint(SESSION, segment, vector, 2000, turn)


def test_a_label_once_placed_names_its_turns_without_a_voiceprint() -> None:
    step = SessionSpeakers(SETUP, waits=False)
    out, _ = step.on_batch([_turn_print(0, JOE), _turn(0, "c1:A"), _turn_print(1, OTHER)])
    out += step.on_batch([_turn(1, "c1:B"), _turn(2, "c1:A"), _turn(3, "c1:B")])[0]
    assert [s for _, _, s in _speakers(out)] == [1, 2, 1, 2]


def test_a_new_connections_labels_are_placed_by_voice() -> None:
    step = SessionSpeakers(SETUP, waits=False)
    step.on_batch([_turn_print(0, JOE), _turn(0, "c1:A"), _turn_print(1, OTHER), _turn(1, "c1:B")])
    # The next connection calls the other voice A first.
    out, _ = step.on_batch([_turn_print(2, OTHER), _turn(2, "c2:A"), _turn_print(3, JOE)])
    out += step.on_batch([_turn(3, "c2:B"), _turn(4, "c2:A")])[0]
    assert [s for _, _, s in _speakers(out)] == [2, 1, 2]


def test_two_labels_of_one_connection_are_never_one_speaker() -> None:
    step = SessionSpeakers(SETUP, waits=False)
    step.on_batch([_turn_print(0, JOE), _turn(0, "c1:A")])
    close = (JOE + OTHER * 0.2) / np.linalg.norm(JOE + OTHER * 0.2)  # cos 0.98 to JOE
    out, _ = step.on_batch([_turn_print(1, close.astype(np.float32)), _turn(1, "c1:B")])
    assert _speakers(out) == [(1, True, 2)]  # the provider heard two people


def test_a_streaming_final_never_waits_for_a_voiceprint() -> None:
    step = SessionSpeakers(SETUP, waits=False)
    out, _ = step.on_batch([_turn(0, "c1:A"), _partial(1)])  # its audio had gone
    assert _speakers(out) == [(0, True, 1), (1, False, None)]


def test_a_first_speaker_heard_without_a_voiceprint_learns_its_voice_later() -> None:
    step = SessionSpeakers(SETUP, waits=False)
    out, _ = step.on_batch([_turn(0, "c1:A"), _turn_print(1, OTHER), _turn(1, "c1:B")])
    out += step.on_batch([_turn_print(2, JOE), _turn(2, "c1:A")])[0]  # A's voice, at last
    out += step.on_batch([_turn_print(3, JOE), _turn(3, "c2:A")])[0]  # a new connection
    assert [s for _, _, s in _speakers(out)] == [1, 2, 1, 1]


def test_a_new_connections_turn_waits_for_the_voiceprint_the_step_makes() -> None:
    from flows.concurrency import WorkerLoop
    from tests.support.speech import silence, speak

    loop = WorkerLoop()
    audio = silence(300) + speak("The weather is nice today and tomorrow.") + silence(300)

    def voiced(segment: int, label: str) -> Transcribed:
        turn = _turn(segment, label)
        return replace(turn, segment=replace(turn.segment, pcm=audio))

    def settle(step: SessionSpeakers, out: list[Transcribed | StreamEnd], want: int) -> None:
        deadline = time.monotonic() + 10
        while (len(out) < want or step.notify_at() is not None) and time.monotonic() < deadline:
            time.sleep(0.005)
            out += step.on_notify()[0]

    try:
        step = SessionSpeakers(SETUP, waits=False, embedder=SpeakerEmbedder(), loop=loop)
        # The session's first connection: its label is someone new, out at once; the
        # voiceprint made meanwhile teaches the voice.
        out, _ = step.on_batch([voiced(0, "c1:A")])
        assert _speakers(out) == [(0, True, 1)]
        settle(step, out, 1)
        assert step.snapshot().clusters.counts == [1]
        # A new connection's label waits for its voiceprint: the same voice, speaker 1.
        out, _ = step.on_batch([voiced(1, "c2:A"), _turn(2, "c2:A")])
        assert out == []
        settle(step, out, 2)
        assert _speakers(out) == [(1, True, 1), (2, True, 1)]
        assert all(isinstance(i, Transcribed) and i.segment.pcm == b"" for i in out)
    finally:
        loop.close()


def test_a_slow_voiceprint_holds_a_turn_back_briefly_then_places_its_label_late() -> None:
    import asyncio

    from flows.concurrency import WorkerLoop

    class Slow:
        name = "slow"

        async def embed(self, pcm: bytes) -> tuple[np.ndarray | None, int]:
            await asyncio.sleep(1.3)  # a machine too busy to spare the CPU
            return JOE, 2000

    loop = WorkerLoop()
    try:
        step = SessionSpeakers(SETUP, waits=False, embedder=Slow(), loop=loop)
        step.on_batch([_turn_print(0, JOE), _turn(0, "c1:A")])  # joe is speaker 1
        voiced = _turn(1, "c2:A")  # a new connection: whose voice is its A?
        voiced = replace(voiced, segment=replace(voiced.segment, pcm=bytes(32000)))
        out, _ = step.on_batch([voiced])
        started = time.monotonic()
        while not out:
            time.sleep(0.01)
            out += step.on_notify()[0]
        waited = time.monotonic() - started
        assert _speakers(out) == [(1, True, None)] and 0.9 < waited < 1.25
        while step.notify_at() is not None:
            time.sleep(0.01)
            step.on_notify()
        out, _ = step.on_batch([_turn(2, "c2:A")])
        assert _speakers(out) == [(2, True, 1)]  # placed when its voiceprint came: joe
    finally:
        loop.close()
