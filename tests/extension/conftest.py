"""One whole local stack for the browser tests that need a server, started once for them all."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.full_stack import FullStack
from tests.extension.vitest_run import require_built_extension

# English first: the extension speaks the server's first source language (the demo picks its own).
STACK_ENV = {
    "SOURCE_LANGUAGES": "en,he,es",
    "DEV_TOKENS": "1",
    "STT_PROVIDER": "whisper",
    "TRANSLATION_PROVIDER": "apertium",
    "TTS_PROVIDER": "piper",
    # A session's sign-in, settings, start, stop and download are more than the default 10 a minute.
    "RATE_LIMIT_PER_MINUTE": "600",
}


def require_chromium() -> None:
    """Debian's Chromium (LIVEDUB_CHROMIUM overrides); never a downloaded one."""
    path = os.environ.get("LIVEDUB_CHROMIUM") or "/usr/bin/chromium"
    if not Path(path).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: no Chromium at {path}")
        pytest.skip(f"no Chromium at {path}: apt-get install chromium")


@pytest.fixture(scope="package")
def npx() -> str:
    """npx with the extension built, and Chromium: checked before any server starts."""
    npx = require_built_extension()
    require_chromium()
    return npx


@pytest.fixture(scope="package")
def stack(npx: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FullStack]:
    stack = FullStack(tmp_path_factory.mktemp("stack"), env=STACK_ENV)
    if not (Path(stack.cfg.demo_dir) / "index.html").is_file():
        pytest.fail("the demo page is not built: run `just ext-build` (just setup does it)")
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
