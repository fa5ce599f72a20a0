"""A short `just fuzz`: schemathesis over the whole document, on a real ingress process."""

from __future__ import annotations

from pathlib import Path

import settings
from fuzz.api_fuzz import fuzz_new_ingress
from fuzz.schemathesis_run import read_report

# Every operation, development token included (the fuzzed ingress serves it).
OPERATIONS = 10


def test_a_bounded_fuzz_run_finds_no_server_error_and_no_violation(
    cfg: settings.Settings, tmp_path: Path
) -> None:
    outcome = fuzz_new_ingress(cfg, tmp_path, tmp_path / "report", max_examples=60, seed=26)
    assert outcome.operations_tested == OPERATIONS, outcome.summary()
    assert outcome.generated >= 300, outcome.summary()
    assert (outcome.server_errors, outcome.violations, outcome.errors) == (0, 0, 0), (
        outcome.summary()
    )


def test_the_report_is_counted_by_kind(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(
        '{"test_cases": {"generated": 40}, "operations": {"tested": 3}, "running_time": 2.5,'
        ' "errors": [], "failures": ['
        '{"code": "ST101", "title": "Server error", "count": 2},'
        '{"code": "ST102", "title": "Response violates schema", "count": 1},'
        '{"code": "ST201", "title": "Schema-violating request accepted", "count": 3}]}'
    )
    outcome = read_report(report)
    assert (outcome.server_errors, outcome.violations, outcome.clean) == (2, 4, False)
    assert "2 server errors, 4 schema violations" in outcome.summary()
