"""Engine subprocesses under uvloop, the ingress's loop: many at once, some never read stdin."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import uvloop

from providers.commands import run_command, stream_command
from providers.espeak_tts import EspeakTextToSpeech

T = TypeVar("T")
CONCURRENT = 30
# Languages espeak-ng lists, none asked for before in the catalog below.
LANGUAGES = (
    "es he fr de it pt ru pl nl sv fi da cs sk hu ro bg el tr ar fa hi ja zh ko vi id ms ta bn"
)


def on_uvloop(work: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await work()

    return uvloop.run(main())


async def _collect(argv: list[str], stdin: bytes) -> bytes:
    return b"".join([chunk async for chunk in stream_command(argv, stdin)])


def test_commands_that_exit_without_reading_stdin_are_not_errors() -> None:
    async def many() -> list[bytes]:
        calls = [run_command(["true"]) for _ in range(CONCURRENT)]
        calls += [run_command(["true"], b"unread input") for _ in range(CONCURRENT)]
        calls += [_collect(["true"], b"unread input") for _ in range(CONCURRENT)]
        return await asyncio.gather(*calls)

    assert on_uvloop(many) == [b""] * (3 * CONCURRENT)


def test_input_still_reaches_a_command_that_reads_it() -> None:
    data = b"x" * 300_000  # more than a pipe holds: written while the output is read

    async def both() -> tuple[bytes, bytes]:
        return await run_command(["cat"], data), await _collect(["cat"], data)

    assert on_uvloop(both) == (data, data)


def test_concurrent_voice_listings_for_uncached_languages_all_answer() -> None:
    languages = LANGUAGES.split()
    assert len(languages) >= CONCURRENT

    async def listings() -> list[object]:
        espeak = EspeakTextToSpeech()
        return await asyncio.gather(
            *(espeak.voices(language) for language in languages), return_exceptions=True
        )

    answers = on_uvloop(listings)
    failures = [
        (lang, a)
        for lang, a in zip(languages, answers, strict=True)
        if isinstance(a, BaseException)
    ]
    assert failures == []
    spanish = answers[0]
    assert isinstance(spanish, list) and {v.id for v in spanish} >= {"espeak:es"}
