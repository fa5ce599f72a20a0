"""Which segment an engine transcribes next, when more wait than it can take at once.

An offline engine (Whisper) transcribes a few segments at a time (its
workers); with many sessions more are waiting. Finals go first, in the order
they came: a viewer waits for each one. Partials take what is left, on at
most `partial_slots` of the engine's workers and for at most `partial_duty`
of that worker's time (on two cores, partials on every idle moment left the
flow's own thread, the voices and the broker no core), fairly: each session
has at most one waiting (a newer partial replaces the older, and the
session's final drops it); an utterance's first partial (its first words on
screen) goes before later ones, then the one that has waited longest. A
partial that waited past `stale_s` is dropped: its words would reach the
screen after newer ones could have.

An engine that transcribes several segments at once (Whisper: one encoder
and one decoder call) gets them together: the finals waiting, or the oldest
partials, up to `batch` at a time.

It runs on the worker's event loop; the engine's own calls run in its threads.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import deque
from dataclasses import dataclass, field

from flows.items import SpeechSegment
from providers.base import BatchSpeechToText, ProviderError, SpeechToText, Transcript

Heard = tuple[Transcript, float]  # the transcript and the ms the engine spent on it


@dataclass
class _Job:
    segment: SpeechSegment
    answer: asyncio.Future[Heard | None]
    since: float = field(default_factory=time.monotonic)


class TranscriptionQueue:
    """Finals first, then each session's newest partial, longest waiting first."""

    def __init__(
        self,
        stt: SpeechToText,
        slots: int,
        partial_slots: int = 1,
        stale_s: float = 1.0,
        batch: int = 4,
        partial_duty: float = 0.5,
    ) -> None:
        self._stt = stt
        self._batch = max(1, batch) if isinstance(stt, BatchSpeechToText) else 1
        self._slots = max(1, slots)
        self._partial_slots = max(1, min(partial_slots, self._slots))
        self._stale_s = stale_s
        self._finals: deque[_Job] = deque()
        self._partials: dict[str, _Job] = {}  # by session
        self._running: set[asyncio.Task[None]] = set()
        self._partials_running = 0
        self._partial_duty = min(1.0, max(0.05, partial_duty))
        self._partials_rest_until = 0.0
        self._wake: asyncio.TimerHandle | None = None

    async def transcribe(self, segment: SpeechSegment) -> Heard | None:
        """The transcript and the engine's time; None for a partial replaced or too old."""
        job = _Job(segment, asyncio.get_running_loop().create_future())
        session = segment.session_id
        if segment.final:
            self._drop(self._partials.pop(session, None))  # the final says it all
            self._finals.append(job)
        else:
            self._drop(self._partials.get(session))
            self._partials[session] = job
        self._start_what_fits()
        return await job.answer

    def _start_what_fits(self) -> None:
        while len(self._running) < self._slots and (jobs := self._next()):
            partial = not jobs[0].segment.final
            self._partials_running += partial
            task = asyncio.ensure_future(self._run(jobs))
            self._running.add(task)
            task.add_done_callback(functools.partial(self._finished, partial, time.monotonic()))

    def _finished(self, partial: bool, started: float, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._partials_running -= partial
        if partial:  # the worker rests in proportion, so partials take at most their duty
            now = time.monotonic()
            self._partials_rest_until = now + (now - started) * (1 / self._partial_duty - 1)
        self._start_what_fits()

    def _next(self) -> list[_Job]:
        """The next call's segments: the finals waiting, else the partials waiting longest."""
        if self._finals:
            count = min(self._batch, len(self._finals))
            return [self._finals.popleft() for _ in range(count)]
        if self._partials_running >= self._partial_slots:
            return []
        now = time.monotonic()
        for session, job in list(self._partials.items()):
            if now - job.since > self._stale_s:
                del self._partials[session]
                self._drop(job)
        if self._partials and now < self._partials_rest_until:
            self._wake_at(self._partials_rest_until)
            return []
        first_words_first = sorted(
            self._partials,
            key=lambda s: (self._partials[s].segment.partial_index > 1, self._partials[s].since),
        )
        return [self._partials.pop(session) for session in first_words_first[: self._batch]]

    def _wake_at(self, when: float) -> None:
        """Look again when the partials' worker has rested."""
        if self._wake is None or self._wake.cancelled():
            loop = asyncio.get_running_loop()
            delay = max(0.0, when - time.monotonic())
            self._wake = loop.call_later(delay, self._rested)

    def _rested(self) -> None:
        self._wake = None
        self._start_what_fits()

    async def _run(self, jobs: list[_Job]) -> None:
        started = time.perf_counter()
        heard: list[Transcript | BaseException]
        try:
            heard = list(await self._transcribe([job.segment for job in jobs]))
        except BaseException as error:
            heard = [error] * len(jobs)
        took = (time.perf_counter() - started) * 1000
        for job, outcome in zip(jobs, heard, strict=True):
            if job.answer.done():
                continue
            if isinstance(outcome, BaseException):
                job.answer.set_exception(outcome)
            else:
                job.answer.set_result((outcome, took))

    async def _transcribe(self, segments: list[SpeechSegment]) -> list[Transcript | ProviderError]:
        if len(segments) > 1 and isinstance(self._stt, BatchSpeechToText):
            wanted = [(s.pcm, s.settings.source_language, s.final) for s in segments]
            return await self._stt.transcribe_many(wanted)
        [segment] = segments
        language = segment.settings.source_language
        return [await self._stt.transcribe(segment.pcm, language, final=segment.final)]

    @staticmethod
    def _drop(job: _Job | None) -> None:
        if job is not None and not job.answer.done():
            job.answer.set_result(None)
