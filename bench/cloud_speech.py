"""`just bench --providers cloud`: Hebrew TV through the cloud adapters and their stand-ins.

The stand-ins (`python -m standins`) run in a process of their own at the
providers' published latencies, hearing the Hebrew programme of
`standins.programme`; viewers stream it looped (he -> en, subtitles and
dubbing), each tuned in at a moment of its own. What counts is our overhead
over the providers' own time: a sentence's end -> its final subtitle against
the provider ending the turn plus one translation, and -> its first dubbed
audio against that plus the voice's first chunk.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import settings
from bench.clients import StreamPlan
from bench.speech_plan import Programme, looped_plan
from devstack.full_stack import FullStack
from devstack.processes import ManagedProcess, wait_until
from standins.cloud import Latencies
from standins.hearing import Hearing
from standins.programme import register, silence

GAP_MS = 900
# The plan a bench deployment would buy: Scale allows 30 Flash requests at once.
TTS_CONCURRENCY = "30"


def hebrew_block(hearing: Hearing) -> Programme:
    """The programme's lines, each after a gap; where each one's speech starts and ends (ms)."""
    gap = silence(GAP_MS)
    pcm, starts, ends = bytearray(gap), [], []
    for clip in hearing.clips:
        starts.append((len(pcm) + clip.words[0].start) // 32)
        ends.append((len(pcm) + clip.sound_end) // 32)
        pcm += clip.pcm + gap
    return Programme(bytes(pcm), tuple(starts), tuple(ends))


def provider_budget_ms(latencies: Latencies) -> dict[str, float]:
    """The providers' own share of each figure, from the stand-ins' latencies."""
    subtitle = latencies.end_of_turn_ms + latencies.translation_ms
    return {
        "stt_end_of_turn_ms": latencies.end_of_turn_ms,
        "translation_ms": latencies.translation_ms,
        "tts_first_chunk_ms": latencies.tts.first_chunk_ms,
        "final_subtitle_ms": subtitle,
        "first_audio_ms": subtitle + latencies.tts.first_chunk_ms,
    }


class StandinProcess:
    """`python -m standins` in the background, and the settings it wrote."""

    def __init__(self, workdir: Path, hearing: Hearing) -> None:
        self.clips = workdir / "clips"
        hearing.save(self.clips)
        self.env_file = workdir / "standins.json"
        self.proc = ManagedProcess("standins", workdir)

    def start(self) -> dict[str, str]:
        """Start them; the settings that point a flow at them."""
        self.env_file.unlink(missing_ok=True)
        argv = [sys.executable, "-m", "standins", "--clips", str(self.clips)]
        self.proc.start([*argv, "--env-file", str(self.env_file)], cwd=settings.ROOT)
        if not wait_until(self.env_file.exists, 60):
            raise RuntimeError(f"the stand-ins did not start; see {self.proc.log_file}")
        env: dict[str, str] = json.loads(self.env_file.read_text())
        return env

    def stop(self) -> dict[str, Any]:
        """Stop them; what they billed."""
        self.proc.stop()
        usage = self.env_file.with_suffix(".usage.json")
        return dict(json.loads(usage.read_text())) if usage.exists() else {}


def cloud_plans(block: Programme, count: int, seconds: float) -> list[StreamPlan]:
    """Viewers of the looped programme, each tuned in at a moment of its own."""
    phases = random.Random(count)
    block_ms = len(block.pcm) // 32
    return [
        looped_plan(
            block,
            seconds,
            source_language="he",
            target_language="en",
            phase_ms=phases.randrange(block_ms),
        )
        for _ in range(count)
    ]


def cloud_stack(
    workdir: Path, common: dict[str, str]
) -> tuple[FullStack, StandinProcess, Programme]:
    """The stand-ins (started), and the stack pointed at them (not yet), and the programme."""
    hearing = Hearing()
    register(hearing)
    standins = StandinProcess(workdir, hearing)
    env = standins.start()
    extra = {"ELEVENLABS_MAX_CONCURRENCY": TTS_CONCURRENCY, "TRANSLATION_CACHE_SIZE": "0"}
    stack = FullStack(workdir / "cloud", env={**common, **env, **extra})
    return stack, standins, hebrew_block(hearing)
