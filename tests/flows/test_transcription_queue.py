"""The order segments reach a busy engine: finals first, then each session's newest partial."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from flows.items import SpeechSegment
from flows.transcription_queue import TranscriptionQueue
from providers.base import ProviderError, Transcript
from providers.noop import NoopSpeechToText
from wire.audio import SessionSettings
from wire.errors import ErrorCode


class _Engine(NoopSpeechToText):
    """Takes segments one at a time, each until the test lets it go; says which it took."""

    def __init__(self) -> None:
        super().__init__(["en"])
        self.taken: list[str] = []
        self.release = asyncio.Event()

    async def transcribe(self, pcm: bytes, language: str, *, final: bool = True) -> Transcript:
        self.taken.append(pcm.decode())
        await self.release.wait()
        self.release.clear()
        return Transcript(pcm.decode(), language, final=final)


def _segment(session: str, name: str, final: bool) -> SpeechSegment:
    settings = SessionSettings(session, "u", source_language="en")
    return SpeechSegment(settings, 0, name.encode(), 0, 100, final=final)


async def _drain(engine: _Engine, rounds: int) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0.01)
        engine.release.set()
    await asyncio.sleep(0.01)


async def test_finals_go_first_and_partials_wait_behind_them() -> None:
    engine = _Engine()
    queue = TranscriptionQueue(engine, slots=1, partial_duty=1.0)
    busy = asyncio.create_task(queue.transcribe(_segment("a", "a-final-0", True)))
    await asyncio.sleep(0.01)
    partial = asyncio.create_task(queue.transcribe(_segment("b", "b-partial", False)))
    final = asyncio.create_task(queue.transcribe(_segment("c", "c-final", True)))
    await _drain(engine, 3)
    assert engine.taken == ["a-final-0", "c-final", "b-partial"]
    assert all(task.done() for task in (busy, partial, final))
    heard = final.result()
    assert heard is not None and heard[0].text == "c-final" and heard[1] >= 0


async def test_a_newer_partial_or_the_final_takes_an_older_partials_place() -> None:
    engine = _Engine()
    queue = TranscriptionQueue(engine, slots=1, partial_duty=1.0)
    busy = asyncio.create_task(queue.transcribe(_segment("x", "x-final", True)))
    await asyncio.sleep(0.01)
    first = asyncio.create_task(queue.transcribe(_segment("a", "a-p1", False)))
    second = asyncio.create_task(queue.transcribe(_segment("a", "a-p2", False)))
    other = asyncio.create_task(queue.transcribe(_segment("b", "b-p1", False)))
    final = asyncio.create_task(queue.transcribe(_segment("b", "b-final", True)))
    await asyncio.sleep(0.01)
    assert first.done() and first.result() is None  # replaced by a-p2
    assert other.done() and other.result() is None  # superseded by b's final
    await _drain(engine, 3)
    assert engine.taken == ["x-final", "b-final", "a-p2"]
    assert busy.done() and second.result() is not None and final.result() is not None


async def test_the_partial_waiting_longest_goes_first_and_a_stale_one_not_at_all() -> None:
    engine = _Engine()
    queue = TranscriptionQueue(engine, slots=1, stale_s=0.05, partial_duty=1.0)
    busy = asyncio.create_task(queue.transcribe(_segment("x", "x-final", True)))
    await asyncio.sleep(0.01)
    older = asyncio.create_task(queue.transcribe(_segment("a", "a-p1", False)))
    await asyncio.sleep(0.01)
    newer = asyncio.create_task(queue.transcribe(_segment("b", "b-p1", False)))
    await asyncio.sleep(0.005)
    engine.release.set()  # x done: a's partial waited longest
    await asyncio.sleep(0.08)  # b's has now waited past its time
    engine.release.set()
    await asyncio.sleep(0.01)
    assert engine.taken == ["x-final", "a-p1"]
    assert busy.done() and older.result() is not None
    assert newer.done() and newer.result() is None


async def test_partials_use_one_worker_and_finals_any() -> None:
    engine = _Engine()
    queue = TranscriptionQueue(engine, slots=2, partial_duty=1.0)
    partials = [asyncio.create_task(queue.transcribe(_segment(s, f"{s}-p", False))) for s in "ab"]
    await asyncio.sleep(0.01)
    assert engine.taken == ["a-p"]  # b's waits: the other worker is kept for finals
    final = asyncio.create_task(queue.transcribe(_segment("c", "c-final", True)))
    await asyncio.sleep(0.01)
    assert engine.taken == ["a-p", "c-final"]
    await _drain(engine, 3)
    assert engine.taken == ["a-p", "c-final", "b-p"]
    assert all(task.done() for task in (*partials, final))


class _Batches(_Engine):
    """An engine that takes several segments in one call, and fails one of them."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    async def transcribe_many(
        self, segments: Sequence[tuple[bytes, str, bool]]
    ) -> list[Transcript | ProviderError]:
        self.calls.append([pcm.decode() for pcm, _, _ in segments])
        return [
            ProviderError(ErrorCode.PROVIDER_UNAVAILABLE, "bad one")
            if pcm == b"bad"
            else Transcript(pcm.decode(), language, final=final)
            for pcm, language, final in segments
        ]


async def test_waiting_finals_go_in_one_call_and_one_failure_stays_its_own() -> None:
    engine = _Batches()
    queue = TranscriptionQueue(engine, slots=1, batch=3, partial_duty=1.0)
    busy = asyncio.create_task(queue.transcribe(_segment("x", "x-final", True)))
    await asyncio.sleep(0.01)
    waiting = [
        asyncio.create_task(queue.transcribe(_segment(s, name, True)))
        for s, name in (("a", "a-final"), ("b", "bad"), ("c", "c-final"), ("d", "d-final"))
    ]
    await _drain(engine, 4)
    assert engine.calls == [["a-final", "bad", "c-final"]]
    assert engine.taken == ["x-final", "d-final"]  # one alone: the plain call
    assert busy.done()
    a, bad, c, _ = (task.result() if not task.exception() else task.exception() for task in waiting)
    assert isinstance(bad, ProviderError) and isinstance(a, tuple) and isinstance(c, tuple)


async def test_partials_take_at_most_their_duty_of_the_engine_and_first_words_go_first() -> None:
    engine = _Engine()
    queue = TranscriptionQueue(engine, slots=2, partial_duty=0.5, stale_s=5.0)
    first = asyncio.create_task(queue.transcribe(_segment("a", "a-p", False)))
    await asyncio.sleep(0.01)
    later = _segment("b", "b-p2", False)
    waiting = [
        asyncio.create_task(queue.transcribe(segment))
        for segment in (replace(later, partial_index=2), _segment("c", "c-p1", False))
    ]
    await asyncio.sleep(0.05)  # a's partial took 60 ms: its worker now rests 60 ms
    engine.release.set()
    await asyncio.sleep(0.03)
    assert engine.taken == ["a-p"]  # still resting
    await asyncio.sleep(0.05)
    assert engine.taken == ["a-p", "c-p1"]  # c's first words before b's later ones
    await _drain(engine, 4)
    assert all(task.done() for task in (first, *waiting))
