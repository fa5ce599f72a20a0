"""The extension's Vitest suite (units, contract check, Chromium e2e) as part of `just test`.

The contract check compares types/api.ts with the OpenAPI document this
backend serves, fetched from the app built here; it must run, not skip.
`just setup` has built extension/dist and installed node_modules; without npm
the suite is skipped locally and fails in CI, which must run it.
"""

from __future__ import annotations

import json
from pathlib import Path

import settings
from ingress.app import create_app
from tests.extension.vitest_run import require_built_extension, run_vitest

CONTRACT_TEST = "types/api.ts against the backend's OpenAPI spec"


async def served_openapi(path: Path) -> Path:
    """The app's /api/v1/openapi.json, written to `path`."""
    response = await create_app(settings.load()).test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200, await response.get_data(as_text=True)
    path.write_text(json.dumps(await response.get_json()))
    return path


async def test_extension_vitest_suite_passes_against_the_served_spec(tmp_path: Path) -> None:
    npx = require_built_extension()
    spec = await served_openapi(tmp_path / "openapi.json")
    run = run_vitest(npx, tmp_path / "vitest.json", env={"LIVEDUB_OPENAPI": str(spec)}, timeout=240)
    assert run.returncode == 0, f"vitest failed:\n{run.output[-6000:]}"
    assert "passed" in run.outcomes.values(), f"vitest ran no test:\n{run.output[-2000:]}"
    assert run.outcomes_of(CONTRACT_TEST) == ["passed"], run.outcomes
