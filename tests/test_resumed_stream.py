"""A socket dropped mid-stream loses no audio and charges none twice: the client sends again.

Two real ingresses (`python -m ingress`) and the flow (`python -m flows`, no-op
providers: the transcripts are the segments' lengths, so they change with any
audio lost or taken twice) on the test's Kafka and Redis. The first ingress is
stopped (SIGSTOP) while a viewer streams into it, so the frames written
meanwhile wait in its socket, then SIGKILLed: those frames never reach Kafka.
The viewer reconnects to the second ingress and sends its last seconds again
from their place in the session's audio; the flow drops what it already had.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

import settings
from bench.clients import RESEND_MS, StreamPlan, StreamResult, stream
from devstack.flow_process import FlowProcess
from devstack.ingress_process import served_ingress
from devstack.processes import ManagedProcess
from drills.__main__ import charged_ms, received_ids
from flows.metrics import scrape_counter
from ingress.dev_token import mint_dev_token
from tests.support.speech import utterances

NOOP = {
    "STT_PROVIDER": "noop",
    "TRANSLATION_PROVIDER": "noop",
    "TTS_PROVIDER": "noop",
    "SOURCE_LANGUAGES": "he,en",
}
SENTENCES = (
    "The weather is nice today.",
    "We are going to the beach.",
    "Bring a hat and water.",
    "The train leaves at nine.",
    "Call me when you arrive.",
)
STOPPED_S = 0.8  # the frames the viewer writes meanwhile are lost with the process


@pytest.fixture
def noop_flow(cfg: settings.Settings, tmp_path: Path) -> Iterator[FlowProcess]:
    process = FlowProcess(cfg, tmp_path / "flow.log", {**NOOP, "SNAPSHOT_INTERVAL_SECONDS": "1"})
    process.start()
    try:
        yield process
    finally:
        process.stop()


def finals(result: StreamResult) -> dict[str, tuple[str, int, int]]:
    """Final transcripts by id (without the session): text and cue times."""
    return {
        e["id"].split(":", 1)[1]: (e["data"], e["start_ms"], e["end_ms"])
        for _, e in result.events
        if e.get("type") == "transcript" and e.get("final")
    }


def test_a_viewer_whose_ingress_dies_loses_no_audio_and_is_charged_it_once(
    cfg: settings.Settings, noop_flow: FlowProcess, tmp_path: Path
) -> None:
    plan = StreamPlan(source=utterances(*SENTENCES), speech_ends_ms=(), target_language="en")
    instance = {"INGRESS_INSTANCES": "2", **NOOP}
    with (
        served_ingress(cfg, tmp_path / "a", {**instance, "INGRESS_INSTANCE": "0"}) as first,
        served_ingress(cfg, tmp_path / "b", {**instance, "INGRESS_INSTANCE": "1"}) as second,
    ):
        control = asyncio.run(
            stream(first, mint_dev_token(cfg, "control", "premium"), plan, end_timeout_s=120)
        )
        assert control.ended and control.reconnects == 0

        async def kill_the_first_mid_stream() -> StreamResult:
            viewer = asyncio.create_task(
                stream(
                    [first, second],
                    mint_dev_token(cfg, "resumed", "free"),
                    plan,
                    end_timeout_s=120,
                    reconnects=5,
                )
            )
            await asyncio.sleep(5)
            pid = ManagedProcess("ingress", tmp_path / "a").pid()
            assert pid is not None
            os.kill(pid, signal.SIGSTOP)
            await asyncio.sleep(STOPPED_S)
            os.kill(pid, signal.SIGKILL)
            return await viewer

        resumed = asyncio.run(kill_the_first_mid_stream())

    assert resumed.ended and resumed.reconnects == 1, resumed.error
    assert resumed.bytes_sent == len(plan.source)
    assert resumed.bytes_resent == RESEND_MS * 32
    # Every millisecond streamed was processed and charged, once.
    assert charged_ms(cfg, resumed.session_id) == len(plan.source) // 32
    assert charged_ms(cfg, control.session_id) == len(plan.source) // 32
    # The same transcripts (their text is the segment's length), nothing twice.
    assert sorted(received_ids(resumed)) == sorted(received_ids(control))
    assert finals(control) and finals(resumed) == finals(control)
    # Of the audio sent again, the flow had all but what the stopped ingress never published.
    resent = scrape_counter(noop_flow.metrics_url, "livedub_flow_audio_resent_seconds")
    assert RESEND_MS / 1000 - STOPPED_S - 0.5 < resent < RESEND_MS / 1000 - STOPPED_S / 2
    assert scrape_counter(noop_flow.metrics_url, "livedub_flow_audio_lost_seconds") == 0
