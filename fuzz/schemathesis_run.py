"""Run schemathesis's CLI (`st run`) over a served OpenAPI document and count what it found.

Every check runs but `use_after_free`: DELETE on a session ends it, and a GET
afterwards answers 200 with status "ended" and its final counters, by design
(the client reads what it was charged), where that check wants 404.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

EXCLUDED_CHECKS = ("use_after_free",)
SERVER_ERROR = "ST101"  # schemathesis's code for a 5xx answer


@dataclass(frozen=True)
class FuzzOutcome:
    """What one run found: test cases, and failures by schemathesis code and title."""

    generated: int
    failures: dict[str, int]  # "ST101 Server error" -> unique failures
    errors: int  # operations schemathesis could not test (network, schema problems)
    operations_tested: int
    seconds: float
    report: Path

    @property
    def server_errors(self) -> int:
        """Unique 5xx answers."""
        return sum(n for name, n in self.failures.items() if name.startswith(SERVER_ERROR))

    @property
    def violations(self) -> int:
        """Every other failure: answers the document does not allow, and requests mis-judged."""
        return sum(self.failures.values()) - self.server_errors

    @property
    def clean(self) -> bool:
        """No failure and nothing left untested."""
        return not self.failures and not self.errors

    def summary(self) -> str:
        """Lines for people."""
        lines = [
            f"fuzz: {self.generated} test cases over {self.operations_tested} operations "
            f"in {self.seconds:.0f} s",
            f"fuzz: {self.server_errors} server errors, {self.violations} schema violations, "
            f"{self.errors} errors",
        ]
        lines += [f"fuzz:   {n} x {name}" for name, n in sorted(self.failures.items())]
        lines.append(f"fuzz: report {self.report}")
        return "\n".join(lines)


def run_schemathesis(
    spec_url: str,
    headers: dict[str, str],
    report_dir: Path,
    *,
    max_examples: int,
    seed: int | None = None,
    max_time: float | None = None,
) -> FuzzOutcome:
    """`st run` every phase and check over the document; its output goes to our stdout."""
    report_dir.mkdir(parents=True, exist_ok=True)
    report = report_dir / "schemathesis.json"
    argv = [
        str(Path(sys.executable).with_name("st")),
        "run",
        spec_url,
        "--checks",
        "all",
        "--exclude-checks",
        ",".join(EXCLUDED_CHECKS),
        "--max-examples",
        str(max_examples),
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--request-timeout",
        "30",
        "--workers",
        "2",
    ]
    for name, value in headers.items():
        argv += ["--header", f"{name}: {value}"]
    if seed is not None:
        argv += ["--seed", str(seed)]
    if max_time is not None:
        argv += ["--max-time", str(max(1, round(max_time)))]
    subprocess.run(
        argv, check=False
    )  # its exit status says "found something"; the report says what
    return read_report(report)


def read_report(path: Path) -> FuzzOutcome:
    """The counts in schemathesis's JSON run report."""
    data = json.loads(path.read_text())
    failures = {f"{f['code']} {f['title']}": int(f["count"]) for f in data["failures"]}
    return FuzzOutcome(
        generated=int(data["test_cases"]["generated"]),
        failures=failures,
        errors=len(data["errors"]),
        operations_tested=int(data["operations"]["tested"]),
        seconds=float(data["running_time"]),
        report=path,
    )
