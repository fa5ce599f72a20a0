"""The demo page in Chromium against the whole local stack, speech in and speech out.

The package's FullStack (Kafka, Redis, the flow with the offline providers, one
ingress with development tokens; tests/extension/conftest.py) serves the built
page at /demo/; Chromium's fake microphone plays English speech generated here;
extension/e2e/demo-streaming.test.ts drives the page and waits for Spanish
subtitles and dubbed speech.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from devstack.full_stack import FullStack
from tests.extension.vitest_run import EXTENSION, run_stack_e2e
from tests.support.speech import RATE, silence, utterances

SENTENCES = ("The weather is nice today.", "I like the red house.")
# Apertium's translation of the second sentence is "Me gusta la casa roja."
SUBTITLE = "casa roja"
STREAMING_TEST = "demo page streaming to the local stack (e2e)"
SCREENSHOT = EXTENSION.parent / "test-artifacts" / "extension" / "demo-streaming.png"


def write_speech(path: Path) -> Path:
    """The sentences with 1 s gaps and 3 s of silence after, as 16 kHz mono WAV."""
    pcm = utterances(*SENTENCES, gap_ms=1000) + silence(3000)
    soundfile.write(path, np.frombuffer(pcm, dtype="<i2"), RATE, subtype="PCM_16")
    return path


def test_the_demo_page_streams_microphone_speech_to_subtitles_and_dub(
    npx: str, stack: FullStack, tmp_path: Path
) -> None:
    run_stack_e2e(
        npx,
        stack,
        tmp_path,
        "e2e/demo-streaming.test.ts",
        {
            "LIVEDUB_DEMO_URL": stack.ingress_url(0),
            "LIVEDUB_DEMO_SPEECH": str(write_speech(tmp_path / "speech.wav")),
            "LIVEDUB_DEMO_SUBTITLE": SUBTITLE,
        },
        suite=STREAMING_TEST,
        tests=1,
        screenshot=SCREENSHOT,
        timeout=180,
    )
