"""Running the extension's Vitest suite from pytest, with each test's outcome read back.

The JSON reporter says which tests passed, failed or were skipped, so a caller
can insist that a test which skips itself without its environment really ran.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

import settings
from devstack.full_stack import FullStack

EXTENSION = settings.ROOT / "extension"


@dataclass(frozen=True)
class VitestRun:
    """What one `vitest run` printed and how each of its tests ended."""

    returncode: int
    output: str
    outcomes: dict[str, str]  # full test name -> passed, failed, skipped, ...

    def outcomes_of(self, prefix: str) -> list[str]:
        """The outcomes of the tests whose full name starts with `prefix`."""
        return [status for name, status in self.outcomes.items() if name.startswith(prefix)]


def require_built_extension() -> str:
    """npx, with the extension built; skip locally without npm (CI must have it)."""
    npx = shutil.which("npx")
    if npx is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the extension's tests: install Node.js 20+ and npm")
        pytest.skip("npm not found: install Node.js 20+ to run the extension's tests")
    if not (EXTENSION / "node_modules").is_dir() or not (EXTENSION / "dist/extension").is_dir():
        pytest.fail("the extension is not built: run `just ext-build` (just setup does it)")
    return npx


def run_vitest(
    npx: str, report: Path, *files: str, env: Mapping[str, str] | None = None, timeout: float
) -> VitestRun:
    """`vitest run [files]` in extension/, the JSON report written to `report`."""
    result = subprocess.run(
        [npx, "vitest", "run", *files, "--reporter=dot", "--reporter=json"]
        + [f"--outputFile.json={report}"],
        cwd=EXTENSION,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    outcomes: dict[str, str] = {}
    if report.exists():
        for suite in json.loads(report.read_text())["testResults"]:
            for test in suite["assertionResults"]:
                outcomes[test["fullName"]] = test["status"]
    return VitestRun(result.returncode, result.stdout + result.stderr, outcomes)


def run_stack_e2e(
    npx: str,
    stack: FullStack,
    work: Path,
    file: str,
    env: Mapping[str, str],
    *,
    suite: str,
    tests: int,
    screenshot: Path,
    timeout: float,
) -> None:
    """Run a browser test file against `stack`: all `tests` of `suite` pass, with a picture."""
    screenshot.unlink(missing_ok=True)
    run = run_vitest(npx, work / "vitest.json", file, env=env, timeout=timeout)
    failure = f"{run.output[-8000:]}\n{stack.log_tails()}"
    assert run.returncode == 0, f"{file} failed:\n{failure}"
    assert run.outcomes_of(suite) == ["passed"] * tests, f"{run.outcomes}\n{failure}"
    assert screenshot.is_file(), f"{file} took no screenshot"
