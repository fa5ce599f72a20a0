"""The demo page in Chromium against the whole local stack, speech in and speech out.

A FullStack (Kafka, Redis, the flow with the offline providers, one ingress
with development tokens) serves the built page at /demo/; Chromium's fake
microphone plays English speech generated here; extension/e2e/demo-streaming.test.ts
drives the page and waits for Spanish subtitles and dubbed speech.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from devstack.full_stack import FullStack
from tests.extension.vitest_run import EXTENSION, require_built_extension, run_vitest
from tests.support.speech import RATE, silence, utterances

SENTENCES = ("The weather is nice today.", "I like the red house.")
# Apertium's translation of the second sentence is "Me gusta la casa roja."
SUBTITLE = "casa roja"
STREAMING_TEST = "demo page streaming to the local stack (e2e)"
SCREENSHOT = EXTENSION.parent / "test-artifacts" / "extension" / "demo-streaming.png"
STACK_ENV = {
    "SOURCE_LANGUAGES": "he,en,es",
    "DEV_TOKENS": "1",
    "STT_PROVIDER": "whisper",
    "TRANSLATION_PROVIDER": "apertium",
    "TTS_PROVIDER": "piper",
}


def require_chromium() -> None:
    """Debian's Chromium (LIVEDUB_CHROMIUM overrides); never a downloaded one."""
    path = os.environ.get("LIVEDUB_CHROMIUM") or "/usr/bin/chromium"
    if not Path(path).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: no Chromium at {path}")
        pytest.skip(f"no Chromium at {path}: apt-get install chromium")


def write_speech(path: Path) -> Path:
    """The sentences with 1 s gaps and 3 s of silence after, as 16 kHz mono WAV."""
    pcm = utterances(*SENTENCES, gap_ms=1000) + silence(3000)
    soundfile.write(path, np.frombuffer(pcm, dtype="<i2"), RATE, subtype="PCM_16")
    return path


@pytest.fixture
def npx() -> str:
    """npx with the extension built, and Chromium: checked before any server starts."""
    npx = require_built_extension()
    require_chromium()
    return npx


@pytest.fixture
def stack(npx: str, tmp_path: Path) -> Iterator[FullStack]:
    stack = FullStack(tmp_path / "stack", env=STACK_ENV)
    if not (Path(stack.cfg.demo_dir) / "index.html").is_file():
        pytest.fail("the demo page is not built: run `just ext-build` (just setup does it)")
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def test_the_demo_page_streams_microphone_speech_to_subtitles_and_dub(
    npx: str, stack: FullStack, tmp_path: Path
) -> None:
    SCREENSHOT.unlink(missing_ok=True)
    run = run_vitest(
        npx,
        tmp_path / "vitest.json",
        "e2e/demo-streaming.test.ts",
        env={
            "LIVEDUB_DEMO_URL": stack.ingress_url(0),
            "LIVEDUB_DEMO_SPEECH": str(write_speech(tmp_path / "speech.wav")),
            "LIVEDUB_DEMO_SUBTITLE": SUBTITLE,
        },
        timeout=180,
    )
    failure = f"{run.output[-6000:]}\n{stack.log_tails()}"
    assert run.returncode == 0, f"the demo e2e failed:\n{failure}"
    assert run.outcomes_of(STREAMING_TEST) == ["passed"], f"{run.outcomes}\n{failure}"
    assert SCREENSHOT.is_file(), "the e2e took no screenshot"
