"""`just fuzz [--max-examples N] [--seed S] [--max-time S] [--url URL]`: fuzz the whole API.

Without --url it starts its own Kafka broker, Redis and ingress (`python -m
ingress`) on free ports and stops them after; with --url it fuzzes that running
ingress (tokens signed with this environment's JWT_DEV_SECRET, as `just up`'s).
Exits non-zero on any server error, schema violation or untested operation.
The JSON report goes to fuzz-results/.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import settings
from devstack.ephemeral import kafka_broker, redis_server
from devstack.kafka import isolated_settings
from devstack.processes import stop_on_sigterm
from fuzz.api_fuzz import fuzz_ingress, fuzz_new_ingress
from fuzz.schemathesis_run import FuzzOutcome

REPORT_DIR = settings.ROOT / "fuzz-results"


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"[fuzz {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _fresh_stack(args: argparse.Namespace) -> FuzzOutcome:
    with tempfile.TemporaryDirectory(prefix="livedub-fuzz-") as tmp:
        workdir = Path(tmp)
        log("starting Kafka and Redis")
        with kafka_broker(workdir / "kafka") as bootstrap, redis_server(workdir / "redis") as url:
            cfg = isolated_settings(bootstrap, url, "fuzz", workdir / "recovery")
            log("starting an ingress; then schemathesis over /api/v1/openapi.json")
            return fuzz_new_ingress(
                cfg,
                workdir,
                args.out,
                max_examples=args.max_examples,
                seed=args.seed,
                max_time=args.max_time,
            )


def main(argv: list[str] | None = None) -> int:
    """Fuzz, print the counts, exit 0 only when nothing was found."""
    stop_on_sigterm()
    parser = argparse.ArgumentParser(prog="just fuzz", description=__doc__)
    parser.add_argument("--max-examples", type=int, default=500, help="test cases per operation")
    parser.add_argument("--seed", type=int, help="schemathesis's seed, to repeat a run")
    parser.add_argument(
        "--max-time", type=float, help="seconds to fuzz: schemathesis repeats until they are spent"
    )
    parser.add_argument("--url", help="fuzz this running ingress instead (http://host:port)")
    parser.add_argument("--out", type=Path, default=REPORT_DIR, help="where the report goes")
    args = parser.parse_args(argv)
    if args.url:
        outcome = fuzz_ingress(
            args.url.rstrip("/"),
            settings.load(),
            args.out,
            max_examples=args.max_examples,
            seed=args.seed,
            max_time=args.max_time,
        )
    else:
        outcome = _fresh_stack(args)
    print(outcome.summary())
    return 0 if outcome.clean else 1


if __name__ == "__main__":
    sys.exit(main())
