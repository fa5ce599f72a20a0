"""The extension in Chromium against the whole local stack: popup, session, synced mode, files.

extension/e2e/extension-live.test.ts builds the extension for this stack's
ingress, loads it, and drives it on a TV page (a local page under mako's name)
whose <video> speaks English and shows its frame number: the popup signs in and
meters usage from the server, a session shows Spanish subtitles, synced mode
holds the picture back by the measured delay (checked off the screen to 150 ms)
with the cues on the held-back picture, stopping ends the session and the popup
downloads its subtitles.
"""

from __future__ import annotations

from pathlib import Path

from devstack.full_stack import FullStack
from tests.extension.show_video import utterances_json, write_show
from tests.extension.vitest_run import EXTENSION, run_stack_e2e

SENTENCES = (
    "The weather is nice today.",
    "I like the red house.",
    "Good evening and welcome to the news.",
    "The children are playing in the park.",
    "I like the red house.",
    "The weather is nice today.",
)
GAP_MS = 2500
SUBTITLE = "casa roja"  # Apertium: "Me gusta la casa roja."
LIVE_TESTS = "extension against the local stack (e2e)"
SCREENSHOT = EXTENSION.parent / "test-artifacts" / "extension" / "synced.png"


def test_the_extension_runs_a_synced_session_and_keeps_its_subtitles(
    npx: str, stack: FullStack, tmp_path: Path
) -> None:
    video = tmp_path / "show.webm"
    spoken = write_show(video, SENTENCES, GAP_MS)
    run_stack_e2e(
        npx,
        stack,
        tmp_path,
        "e2e/extension-live.test.ts",
        {
            "LIVEDUB_STACK_URL": stack.ingress_url(0),
            "LIVEDUB_SHOW_VIDEO": str(video),
            "LIVEDUB_SHOW_SPOKEN": utterances_json(spoken),
            "LIVEDUB_SHOW_SUBTITLE": SUBTITLE,
        },
        suite=LIVE_TESTS,
        tests=5,
        screenshot=SCREENSHOT,
        timeout=480,
    )
