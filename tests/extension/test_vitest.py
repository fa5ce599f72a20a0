"""The extension's Vitest suite (units, contract self-tests, Chromium e2e) as part of `just test`.

`just setup` has built extension/dist and installed node_modules; without npm the
suite is skipped locally and fails in CI, which must run it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

import settings

EXTENSION = settings.ROOT / "extension"


def test_extension_vitest_suite_passes() -> None:
    npx = shutil.which("npx")
    if npx is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the extension's tests: install Node.js 20+ and npm")
        pytest.skip("npm not found: install Node.js 20+ to run the extension's tests")
    if not (EXTENSION / "node_modules").is_dir() or not (EXTENSION / "dist/extension").is_dir():
        pytest.fail("the extension is not built: run `just ext-build` (just setup does it)")
    result = subprocess.run(
        [npx, "vitest", "run", "--reporter=dot"],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"vitest failed:\n{output[-6000:]}"
    assert " passed" in output, f"vitest ran no test:\n{output[-2000:]}"
