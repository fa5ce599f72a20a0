"""Fuzz an ingress as a signed-in user: a valid token and CSRF header on every request.

`fuzz_ingress` fuzzes one that runs; `fuzz_new_ingress` starts one on given
Kafka and Redis (limits raised so that the fuzzer explores rather than meets
429s, development tokens on so that their endpoint is fuzzed too) and stops it.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path

import settings
from devstack.ingress_process import served_ingress
from fuzz.schemathesis_run import FuzzOutcome, run_schemathesis
from ingress.csrf import HEADER as CSRF_HEADER
from ingress.dev_token import mint_dev_token

FUZZ_ENV = {
    "DEV_TOKENS": "1",
    "RATE_LIMIT_PER_MINUTE": "1000000",
    "AUTH_FAILURES_PER_MINUTE": "1000000",
    "MAX_SESSIONS_PER_USER": "1000000",
}


def _csrf_token(base_url: str, token: str) -> str:
    request = urllib.request.Request(
        f"{base_url}/api/v1/auth/csrf", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: str = json.load(response)["csrf_token"]
    return answer


def fuzz_ingress(
    base_url: str,
    cfg: settings.Settings,
    report_dir: Path,
    *,
    max_examples: int,
    seed: int | None = None,
    max_time: float | None = None,
    tier: str = "premium",
) -> FuzzOutcome:
    """Fuzz the ingress at `base_url` as a new user whose token cfg's dev secret signs."""
    token = mint_dev_token(cfg, f"fuzz-{uuid.uuid4().hex[:10]}", tier)
    headers = {"Authorization": f"Bearer {token}", CSRF_HEADER: _csrf_token(base_url, token)}
    return run_schemathesis(
        f"{base_url}/api/v1/openapi.json",
        headers,
        report_dir,
        max_examples=max_examples,
        seed=seed,
        max_time=max_time,
    )


def fuzz_new_ingress(
    cfg: settings.Settings,
    workdir: Path,
    report_dir: Path,
    *,
    max_examples: int,
    seed: int | None = None,
    max_time: float | None = None,
) -> FuzzOutcome:
    """Start an ingress on cfg's Kafka, Redis and topics, fuzz it, stop it."""
    with served_ingress(cfg, workdir, FUZZ_ENV) as base_url:
        return fuzz_ingress(
            base_url, cfg, report_dir, max_examples=max_examples, seed=seed, max_time=max_time
        )
