"""The bench's verdict on each target, from a run's report."""

from __future__ import annotations

from typing import Any

from bench.targets import Verdict, table, verdicts


def _load(two_hops_ratio: float) -> dict[str, Any]:
    return {
        "p99_over_bare_two_hops_beside_p99": two_hops_ratio,
        "two_hops_beside_p99_over_bare_kafka_p99": 4.1,
        "p99_over_bare_kafka_p99": 8.2,
    }


def _speech(
    p50: float,
    p95: float = 1200.0,
    first: float | None = None,
    last: float | None = None,
    audio: float = 1100.0,
    first_text: float = 1300.0,
    rewritten: float = 0.05,
) -> dict[str, Any]:
    return {
        "seconds": 600.0,
        "utterance_end_to_final_subtitle_ms": {"p50": p50, "p95": p95},
        "utterance_end_to_first_audio_ms": {"p50": audio},
        "speech_start_to_first_text_ms": {"p50": first_text},
        "final_subtitle_first_third_ms": {"p50": first if first is not None else p50},
        "final_subtitle_last_third_ms": {"p50": last if last is not None else p50},
        "partial_words_rewritten": {"share": rewritten, "replaced": 5, "words": 100},
        "stack_cpu_percent_per_stream": 6.5,
        "backlog_reports": 0,
    }


def _cloud(subtitle_p50: float, audio_p50: float) -> dict[str, Any]:
    return {
        "providers_ms": {"final_subtitle_ms": 550.0, "first_audio_ms": 700.0},
        "50": {
            "utterance_end_to_final_subtitle_ms": {"p50": subtitle_p50},
            "utterance_end_to_first_audio_ms": {"p50": audio_p50},
            "errors": [],
        },
    }


def _report(**changes: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "capacity": {"10": _load(1.2), "100": _load(1.8), "500": _load(5.0), "in_step": {}},
        "most_streams_with_bounded_lag": 500,
        "speech": {"8": _speech(700.0), "16": _speech(900.0)},
        "cloud": _cloud(690.0, 840.0),
    }
    report.update(changes)
    return report


def _by_target(found: list[Verdict]) -> dict[str, bool | None]:
    return {verdict.target: verdict.met for verdict in found}


def test_a_run_within_every_limit_meets_every_target() -> None:
    found = verdicts(_report())
    assert len(found) == 11
    assert all(verdict.met for verdict in found), table(found)


def test_each_figure_past_its_limit_is_missed() -> None:
    report = _report(
        capacity={"100": _load(2.1), "500": _load(60.0)},
        most_streams_with_bounded_lag=400,
        speech={
            "8": _speech(900.0, first_text=1600.0, rewritten=0.12),
            "16": _speech(1100.0, p95=1600.0, first=1000.0, last=1200.0, audio=1600.0),
        },
        cloud=_cloud(701.0, 851.0),
    )
    found = verdicts(report)
    assert [verdict.met for verdict in found] == [False] * 9 + [False] * 2, table(found)
    p99 = found[0]
    assert p99.figure == 2.1 and p99.limit == 2.0
    assert "x4.1" in p99.context  # what the two hops cost beside the verdict
    assert found[4].figure == 200.0  # the last third's p50 over the first's
    held = found[8]
    assert held.figure == 8 and held.met is False  # 8 held, 16 did not
    subtitle = found[9]
    assert (subtitle.figure, subtitle.limit) == (701.0, 700.0)  # the providers' 550 + our 150
    assert "ours 151 ms" in subtitle.context


def test_what_the_run_did_not_measure_is_left_undecided() -> None:
    report = _report(
        capacity={"10": _load(1.0), "200": _load(3.0)},
        most_streams_with_bounded_lag=200,
        speech={},
        cloud={},
    )
    assert set(_by_target(verdicts(report)).values()) == {None}


def test_capacity_is_undecided_until_the_run_tries_500_streams() -> None:
    report = _report(
        capacity={"100": _load(1.0), "400": _load(9.0)}, most_streams_with_bounded_lag=100
    )
    held = verdicts(report)[1]
    assert held.figure == 100 and held.met is None  # 500 was never tried
    report["capacity"]["500"] = _load(40.0)
    assert verdicts(report)[1].met is False


def test_the_most_speech_streams_held_is_undecided_until_16_are_tried() -> None:
    report = _report(speech={"4": _speech(600.0), "8": _speech(800.0)})
    held = verdicts(report)[8]
    assert (held.figure, held.met) == (8, None)
    report["speech"]["20"] = _speech(1200.0)
    report["speech"]["16"] = _speech(950.0)
    held = verdicts(report)[8]
    assert (held.figure, held.met) == (16, True)
    assert "6.5%" in held.context  # the stack's CPU per stream beside it


def test_the_table_says_which_were_missed() -> None:
    lines = table(verdicts(_report(capacity={"100": _load(3.4)})))
    assert lines[0].split()[0] == "MISSED" and "3.4" in lines[0]
    assert lines[2].split()[0] == "met"
