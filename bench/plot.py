"""The benchmark's picture: latency distributions against the number of streams."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench.targets import (
    CLOUD_FIGURES,
    CLOUD_OVERHEAD_MS,
    FINAL_SUBTITLE_P50_MS,
    FINAL_SUBTITLE_P95_MS,
    P99_OVER_TWO_HOPS,
    SPEECH_STREAMS,
)


def plot(report: dict[str, Any], overheads: dict[int, list[float]], path: Path) -> None:
    """Overhead box plots per stream count with baselines; speech latency, and over the run.

    Only the panels of what the run measured are drawn (a soak has no no-op
    overheads, a cloud run no offline speech).
    """
    counts = sorted(overheads)
    panels: list[Callable[[Any], None]] = []
    if counts:
        panels.append(lambda axes: _overheads(axes, report, overheads, counts))
    if report.get("speech"):
        panels.append(lambda axes: _speech(axes, report))
        panels.append(lambda axes: _speech_over_the_run(axes, report))
    if _cloud_runs(report):
        panels.append(lambda axes: _cloud(axes, report))
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(6.25 * len(panels), 5), squeeze=False)
    for draw, panel in zip(panels, axes[0], strict=True):
        draw(panel)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _overheads(
    left: Any, report: dict[str, Any], overheads: dict[int, list[float]], counts: list[int]
) -> None:
    left.boxplot(
        [overheads[n] or [0.0] for n in counts],
        tick_labels=[str(n) for n in counts],
        showfliers=False,
        whis=(1, 99),
    )
    kafka = report["baselines"]["kafka_round_trip_ms"]
    left.axhline(kafka["p99"], color="tab:red", linestyle="--", label="bare Kafka RTT p99")
    loads = [report.get("capacity", {}).get(str(n), {}) for n in counts]
    # What the pipeline's two crossings of Kafka alone cost under the same load, and
    # the target: a multiple of that, per load.
    if all("kafka_two_hops_beside_ms" in load for load in loads):
        hops = [load["kafka_two_hops_beside_ms"]["p99"] for load in loads]
        _per_load(left, hops, "tab:purple", "two bare Kafka hops p99 (beside the load)")
        _per_load(
            left,
            [P99_OVER_TWO_HOPS * p99 for p99 in hops],
            "tab:red",
            f"target: {P99_OVER_TWO_HOPS:g}x two bare hops p99 beside the load",
        )
    left.axhline(
        report["baselines"]["websocket_echo_ms"]["p99"],
        color="tab:green",
        linestyle="--",
        label="bare WebSocket echo p99",
    )
    left.set_yscale("log")
    left.set_xlabel("live streams (100 ms frames, no-op providers)")
    left.set_ylabel("pipeline overhead per event, ms (whiskers p1-p99)")
    left.set_title("Pipeline overhead vs streams")
    left.legend(fontsize=8)


def _per_load(axes: Any, values: list[float], color: str, label: str) -> None:
    """One mark per box (load), at `values`."""
    axes.plot(
        range(1, len(values) + 1),
        values,
        color=color,
        marker="_",
        markersize=24,
        linestyle="none",
        label=label,
    )


def _speech(right: Any, report: dict[str, Any]) -> None:
    speech = report.get("speech", {})
    labels, finals, audio = [], [], []
    for streams, figures in sorted(speech.items(), key=lambda kv: int(kv[0])):
        labels.append(f"{streams} stream(s)")
        finals.append(figures["utterance_end_to_final_subtitle_ms"].get("p50", 0))
        audio.append(figures["utterance_end_to_first_audio_ms"].get("p50", 0))
    x = range(len(labels))
    right.bar([i - 0.2 for i in x], finals, width=0.4, label="final subtitle p50")
    right.bar([i + 0.2 for i in x], audio, width=0.4, label="first dubbed audio p50")
    _speech_targets(right)
    right.set_xticks(list(x), labels)
    right.set_ylabel("ms after the utterance ends")
    right.set_title("Offline speech stack (en->es, both modes)")
    right.legend(fontsize=8)


def _speech_over_the_run(axes: Any, report: dict[str, Any]) -> None:
    for streams, figures in sorted(report.get("speech", {}).items(), key=lambda kv: int(kv[0])):
        points = figures.get("final_subtitle_over_run_s_ms", [])
        if points:
            seconds, latencies = zip(*points, strict=True)
            axes.scatter(seconds, latencies, s=8, label=f"{streams} stream(s)")
    _speech_targets(axes)
    axes.set_ylim(bottom=0)
    axes.set_xlabel("seconds into the run (when the utterance ended)")
    axes.set_ylabel("utterance end -> final subtitle, ms")
    axes.set_title("Every utterance over the run (flat: no backlog)")
    axes.legend(fontsize=8)


def _speech_targets(axes: Any) -> None:
    for limit, style, label in (
        (FINAL_SUBTITLE_P50_MS, ":", "final subtitle p50 target"),
        (FINAL_SUBTITLE_P95_MS, "--", "final subtitle p95 target"),
    ):
        axes.axhline(
            limit, color="tab:gray", linestyle=style, label=f"{label} ({SPEECH_STREAMS} streams)"
        )


def _cloud_runs(report: dict[str, Any]) -> list[str]:
    """The stream counts the cloud run measured (none without the providers' budget)."""
    cloud = report.get("cloud") or {}
    if cloud.get("providers_ms") is None:
        return []
    return sorted((n for n in cloud if n.isdigit()), key=int)


def _cloud(axes: Any, report: dict[str, Any]) -> None:
    """Hebrew on the cloud stand-ins: the providers' own time, and ours on top of it."""
    cloud = report["cloud"]
    budget = cloud["providers_ms"]
    runs = _cloud_runs(report)
    labels, theirs, ours = [], [], []
    for streams in runs:
        for name, (figure, share) in CLOUD_FIGURES.items():
            p50 = float(cloud[streams][figure].get("p50", 0.0))
            labels.append(f"{name}\n{streams} streams")
            theirs.append(float(budget[share]))
            ours.append(p50 - float(budget[share]))
    x = range(len(labels))
    axes.bar(x, theirs, color="tab:gray", label="the providers' own time (stand-in latencies)")
    axes.bar(x, ours, bottom=theirs, color="tab:orange", label="ours (p50 minus theirs)")
    for i, base in enumerate(theirs):
        label = f"target: theirs + {CLOUD_OVERHEAD_MS:g} ms" if i == 0 else None
        axes.hlines(base + CLOUD_OVERHEAD_MS, i - 0.4, i + 0.4, colors="tab:red", label=label)
    axes.set_xticks(list(x), labels)
    axes.set_ylabel("ms after the sentence ends (p50)")
    axes.set_title("Hebrew -> English on the cloud stack (stand-ins)")
    axes.legend(fontsize=8)
