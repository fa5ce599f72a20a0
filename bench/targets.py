"""The targets `just bench` answers to, checked against one run's report.

Each verdict names the target, this run's figure, the limit and whether it was
met; a target whose figure the run did not measure (a smaller `--streams`, no
speech runs) is left undecided rather than counted as missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Bounded lag: results within a second of the audio (the segmenter's silence
# window included) and no drift over the run beyond noise. The same drift
# bound says whether speech latency grew over a speech run.
LAG_BOUND_MS = 1000.0
DRIFT_MS = 100.0

P99_OVER_KAFKA = 3.0
P99_STREAMS = "100"
LIVE_STREAMS = 500
FINAL_SUBTITLE_P50_MS = {"1": 1000.0, "4": 1500.0}
# Hebrew on the cloud stack: our share of each latency, over the providers' own time.
CLOUD_STREAMS = "50"
CLOUD_OVERHEAD_MS = 150.0
CLOUD_FIGURES = {
    "final subtitle": ("utterance_end_to_final_subtitle_ms", "final_subtitle_ms"),
    "first dubbed audio": ("utterance_end_to_first_audio_ms", "first_audio_ms"),
}


@dataclass(frozen=True)
class Verdict:
    """One target: this run's figure against its limit (`met` None: not measured)."""

    target: str
    figure: float | None
    limit: float
    met: bool | None
    context: str = ""


def verdicts(report: dict[str, Any]) -> list[Verdict]:
    """Every target, in the order the issue states them."""
    return [
        _pipeline_p99(report["capacity"]),
        _live_streams(report),
        *(
            _final_subtitle(report["speech"], count, limit)
            for count, limit in FINAL_SUBTITLE_P50_MS.items()
        ),
        *(_no_drift(report["speech"], count) for count in FINAL_SUBTITLE_P50_MS),
        *(_cloud(report.get("cloud") or {}, name) for name in CLOUD_FIGURES),
    ]


def table(found: list[Verdict]) -> list[str]:
    """One line per target, for the run's log."""
    words = {True: "met", False: "MISSED", None: "not measured"}
    return [
        f"{words[v.met]:>12}  {v.target}: {'-' if v.figure is None else v.figure} "
        f"(limit {v.limit:g}){'; ' + v.context if v.context else ''}"
        for v in found
    ]


def _pipeline_p99(capacity: dict[str, Any]) -> Verdict:
    target = f"pipeline p99 over the bare Kafka round trip's p99, {P99_STREAMS} streams"
    load = capacity.get(P99_STREAMS)
    if load is None:
        return Verdict(target, None, P99_OVER_KAFKA, None)
    ratio = float(load["p99_over_bare_kafka_p99"])
    context = (
        f"two bare Kafka hops beside the same load alone: "
        f"x{load['two_hops_beside_p99_over_bare_kafka_p99']}; "
        f"pipeline over one bare hop beside it: x{load['p99_over_bare_kafka_beside_p99']}"
    )
    return Verdict(target, ratio, P99_OVER_KAFKA, ratio <= P99_OVER_KAFKA, context)


def _live_streams(report: dict[str, Any]) -> Verdict:
    target = "live streams held with bounded lag (no-op providers)"
    measured = [int(n) for n in report["capacity"] if n.isdigit()]
    held = int(report["most_streams_with_bounded_lag"])
    if held < LIVE_STREAMS and max(measured, default=0) < LIVE_STREAMS:
        return Verdict(
            target, held, LIVE_STREAMS, None, f"run went up to {max(measured, default=0)}"
        )
    return Verdict(target, held, LIVE_STREAMS, held >= LIVE_STREAMS)


def _final_subtitle(speech: dict[str, Any], count: str, limit: float) -> Verdict:
    target = f"utterance end -> final subtitle p50 ms, {count} speech stream(s)"
    run = speech.get(count)
    if run is None:
        return Verdict(target, None, limit, None)
    p50 = float(run["utterance_end_to_final_subtitle_ms"]["p50"])
    return Verdict(target, p50, limit, p50 <= limit)


def _no_drift(speech: dict[str, Any], count: str) -> Verdict:
    target = f"final subtitle p50 growth, last third over first, ms, {count} speech stream(s)"
    run = speech.get(count)
    if run is None:
        return Verdict(target, None, DRIFT_MS, None)
    growth = round(
        float(run["final_subtitle_last_third_ms"]["p50"])
        - float(run["final_subtitle_first_third_ms"]["p50"]),
        1,
    )
    context = f"{run['seconds']:.0f} s run, {run['backlog_reports']} backlog report(s)"
    return Verdict(target, growth, DRIFT_MS, growth <= DRIFT_MS, context)


def _cloud(cloud: dict[str, Any], name: str) -> Verdict:
    """Utterance end -> `name` on the cloud stack, against the providers' time + our 150 ms."""
    figure, share = CLOUD_FIGURES[name]
    target = (
        f"utterance end -> {name} p50 ms, {CLOUD_STREAMS} Hebrew streams on the cloud stand-ins"
    )
    run, budget = cloud.get(CLOUD_STREAMS), cloud.get("providers_ms")
    if run is None or budget is None:
        return Verdict(target, None, CLOUD_OVERHEAD_MS, None)
    providers = float(budget[share])
    p50 = float(run[figure]["p50"])
    context = (
        f"the providers' own {providers:g} ms, ours {p50 - providers:.0f} ms "
        f"(limit {CLOUD_OVERHEAD_MS:g}); {len(run['errors'])} client error(s)"
    )
    limit = providers + CLOUD_OVERHEAD_MS
    return Verdict(target, p50, limit, p50 <= limit, context)
