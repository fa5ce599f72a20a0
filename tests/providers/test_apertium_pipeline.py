"""Apertium's stages kept running: the same text as its command line, and recovery."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from providers.apertium_pipeline import ModePipeline
from providers.base import ProviderError
from providers.commands import run_command
from wire.errors import ErrorCode

DATADIR = Path("/usr/share/apertium")
TEXTS = [
    "Good evening, and welcome to the news.",
    "the red",
    "Is it raining?",
    'He said "no" (twice) - and left...',
    "Prices rose 3.5% to $20 at 10:30 [live] ^ @home {x} <b> a/b \\ c",
]


@pytest.fixture
async def pipeline() -> AsyncIterator[ModePipeline]:
    running = ModePipeline("eng-spa", DATADIR)
    yield running
    await running.aclose()


async def _gone(group: int) -> bool:
    for _ in range(50):  # the stages are reaped once their parent shell is
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        await asyncio.sleep(0.1)
    return False


async def _alone(text: str) -> str:
    return (await run_command(["apertium", "-u", "eng-spa"], f"{text}\n".encode())).decode().strip()


async def test_each_text_comes_out_as_apertium_alone_translates_it(
    pipeline: ModePipeline,
) -> None:
    translated = await pipeline.translate(TEXTS, timeout=20)
    assert [" ".join(t.split()) for t in translated] == [await _alone(text) for text in TEXTS]


async def test_concurrent_callers_each_get_their_own_text_back(pipeline: ModePipeline) -> None:
    expected = await pipeline.translate(TEXTS, timeout=20)
    rounds = await asyncio.gather(*(pipeline.translate([text], timeout=20) for text in TEXTS * 4))
    assert [answer for (answer,) in rounds] == expected * 4


async def test_a_pipeline_that_died_is_started_again(pipeline: ModePipeline) -> None:
    (first,) = await pipeline.translate(TEXTS[:1], timeout=20)
    killed = pipeline.pid
    assert killed is not None
    os.killpg(killed, signal.SIGKILL)
    await asyncio.sleep(0.1)
    assert await pipeline.translate(TEXTS[:1], timeout=20) == [first]
    assert pipeline.pid not in (None, killed)


@pytest.mark.parametrize("length", [1, 20_000], ids=["short", "longer-than-the-pipe"])
async def test_a_stalled_pipeline_times_out_and_the_next_call_gets_a_fresh_one(
    pipeline: ModePipeline, length: int
) -> None:
    (first,) = await pipeline.translate(TEXTS[:1], timeout=20)
    stalled = pipeline.pid
    assert stalled is not None
    os.killpg(stalled, signal.SIGSTOP)
    with pytest.raises(ProviderError) as raised:
        # A text that fills the stopped pipeline's input must not block the call either.
        async with asyncio.timeout(5):
            await pipeline.translate([" ".join(TEXTS[:1] * length)], timeout=0.3)
    assert raised.value.code is ErrorCode.PROVIDER_TIMEOUT
    assert await _gone(stalled)  # the stalled stages were killed, not left behind
    assert await pipeline.translate(TEXTS[:1], timeout=20) == [first]


async def test_a_text_longer_than_the_pipes_hold_comes_back_whole(pipeline: ModePipeline) -> None:
    (once,) = await pipeline.translate(["Good evening."], timeout=20)
    (many,) = await pipeline.translate(["Good evening. " * 20_000], timeout=60)
    assert many.split() == once.split() * 20_000
