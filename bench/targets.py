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

# The pipeline crosses Kafka twice: its p99 at 100 no-op streams against two bare
# hops through a relay, measured beside the same load.
P99_OVER_TWO_HOPS = 2.0
P99_STREAMS = "100"
LIVE_STREAMS = 500
# The offline speech stack (en->es, both modes, viewers at points of their own).
SPEECH_STREAMS = "16"
FINAL_SUBTITLE_P50_MS = 1000.0
FINAL_SUBTITLE_P95_MS = 1500.0
FIRST_AUDIO_P50_MS = 1500.0
FIRST_TEXT_STREAMS = "8"
FIRST_TEXT_P50_MS = 1500.0
PARTIAL_REWRITE_SHARE = 0.10
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
    """Every target, in the order the issues state them."""
    speech = report["speech"]
    return [
        _pipeline_p99(report["capacity"]),
        _live_streams(report),
        _speech_figure(
            speech,
            "final subtitle p50",
            "utterance_end_to_final_subtitle_ms",
            "p50",
            FINAL_SUBTITLE_P50_MS,
        ),
        _speech_figure(
            speech,
            "final subtitle p95",
            "utterance_end_to_final_subtitle_ms",
            "p95",
            FINAL_SUBTITLE_P95_MS,
        ),
        _no_drift(speech, SPEECH_STREAMS),
        _speech_figure(
            speech,
            "first dubbed audio p50",
            "utterance_end_to_first_audio_ms",
            "p50",
            FIRST_AUDIO_P50_MS,
        ),
        _speech_figure(
            speech,
            "speech start -> first text on screen p50",
            "speech_start_to_first_text_ms",
            "p50",
            FIRST_TEXT_P50_MS,
            FIRST_TEXT_STREAMS,
        ),
        _partials_steady(speech),
        _speech_streams_held(speech),
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
    target = f"pipeline p99 over two bare Kafka hops' p99 beside the load, {P99_STREAMS} streams"
    load = capacity.get(P99_STREAMS)
    if load is None:
        return Verdict(target, None, P99_OVER_TWO_HOPS, None)
    ratio = float(load["p99_over_bare_two_hops_beside_p99"])
    context = (
        f"the two hops themselves: x{load['two_hops_beside_p99_over_bare_kafka_p99']} "
        f"the idle one-hop p99; pipeline over the idle one hop: x{load['p99_over_bare_kafka_p99']}"
    )
    return Verdict(target, ratio, P99_OVER_TWO_HOPS, ratio <= P99_OVER_TWO_HOPS, context)


def _live_streams(report: dict[str, Any]) -> Verdict:
    target = "live streams held with bounded lag (no-op providers)"
    measured = [int(n) for n in report["capacity"] if n.isdigit()]
    held = int(report["most_streams_with_bounded_lag"])
    if held < LIVE_STREAMS and max(measured, default=0) < LIVE_STREAMS:
        return Verdict(
            target, held, LIVE_STREAMS, None, f"run went up to {max(measured, default=0)}"
        )
    return Verdict(target, held, LIVE_STREAMS, held >= LIVE_STREAMS)


def _speech_figure(
    speech: dict[str, Any],
    name: str,
    figure: str,
    percentile: str,
    limit: float,
    count: str = SPEECH_STREAMS,
) -> Verdict:
    target = f"{name} ms, {count} speech streams"
    run = speech.get(count)
    if run is None or percentile not in run.get(figure, {}):
        return Verdict(target, None, limit, None)
    value = float(run[figure][percentile])
    return Verdict(target, value, limit, value <= limit)


def _partials_steady(speech: dict[str, Any]) -> Verdict:
    target = f"share of partial words a later partial replaced, {FIRST_TEXT_STREAMS} speech streams"
    run = speech.get(FIRST_TEXT_STREAMS)
    rewrites = (run or {}).get("partial_words_rewritten") or {}
    if rewrites.get("share") is None:
        return Verdict(target, None, PARTIAL_REWRITE_SHARE, None)
    share = float(rewrites["share"])
    context = f"{rewrites['replaced']} of {rewrites['words']} words"
    return Verdict(target, share, PARTIAL_REWRITE_SHARE, share <= PARTIAL_REWRITE_SHARE, context)


def _speech_streams_held(speech: dict[str, Any]) -> Verdict:
    """The most speech streams whose final subtitles and first dubs stayed within the bounds."""
    target = "speech streams held within the final subtitle and first audio bounds"
    limit = float(SPEECH_STREAMS)
    held = [
        int(count)
        for count, run in speech.items()
        if count.isdigit()
        and float(run["utterance_end_to_final_subtitle_ms"].get("p50", float("inf")))
        <= FINAL_SUBTITLE_P50_MS
        and float(run["utterance_end_to_final_subtitle_ms"].get("p95", float("inf")))
        <= FINAL_SUBTITLE_P95_MS
        and float(run["utterance_end_to_first_audio_ms"].get("p50", float("inf")))
        <= FIRST_AUDIO_P50_MS
    ]
    tried = max((int(n) for n in speech if n.isdigit()), default=0)
    if tried < limit and max(held, default=0) < limit:
        return Verdict(target, max(held, default=0), limit, None, f"run went up to {tried}")
    best = max(held, default=0)
    per_stream = speech[str(best)]["stack_cpu_percent_per_stream"] if best else None
    context = f"stack CPU per stream at {best}: {per_stream}%" if best else ""
    return Verdict(target, best, limit, best >= limit, context)


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
