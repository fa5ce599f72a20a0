"""Turning what the simulated viewers saw into the benchmark's figures."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bench.clients import StreamResult
from bench.stats import percentiles

FINAL_KINDS = ("transcript", "subtitle", "audio")


def _first(result: StreamResult, kind: str, final_only: bool) -> dict[int, tuple[float, Any]]:
    found: dict[int, tuple[float, Any]] = {}
    for received, event in result.events:
        if event.get("type") != kind or (final_only and not event.get("final", True)):
            continue
        found.setdefault(int(event.get("segment", -1)), (received, event))
    return found


def utterance_latency_ms(
    results: Iterable[StreamResult], kind: str, final_only: bool
) -> list[float]:
    """Per segment: first event of `kind` received - when the segment's last speech was sent.

    A segment's speech end is its own `end_ms` on the audio timeline; audio is
    sent in real time, so that position left the client when its frame did.
    """
    values = []
    for result in results:
        for received, event in _first(result, kind, final_only).values():
            end_ms = event.get("end_ms")
            if end_ms is not None:
                values.append(received - result.utterance_end_ms(int(end_ms)))
    return values


def thirds(values: list[float]) -> tuple[dict[str, float], dict[str, float]]:
    """Percentiles of the first and the last third, in arrival order (does latency grow?)."""
    third = max(1, len(values) // 3)
    return percentiles(values[:third]), percentiles(values[-third:])


def steady_window(results: list[StreamResult], warmup_ms: float = 2000.0) -> tuple[float, float]:
    """From every viewer streaming for `warmup_ms` to the first viewer's last frame.

    Before, events measure the crowd connecting; after, the crowd leaving
    (every stream's last utterance closed by `end` at once).
    """
    started = max((r.started_ms for r in results), default=0.0) + warmup_ms
    stopped = min((r.stopped_ms for r in results if r.stopped_ms), default=float("inf"))
    return started, stopped


def pipeline_overheads_ms(results: list[StreamResult]) -> list[float]:
    """Per final event in the steady window, in arrival order: the pipeline's own time.

    Received, minus the ingress's receipt of the frame that closed the segment,
    minus the time spent inside providers.
    """
    started, stopped = steady_window(results)
    timed = []
    for result in results:
        for received, event in result.events:
            source = event.get("source_ingress_ms")
            final = event.get("type") in FINAL_KINDS and event.get("final", True)
            if final and source and started <= received < stopped:
                timed.append((received, received - source - (event.get("provider_ms") or 0.0)))
    return [overhead for _, overhead in sorted(timed)]


def lag_ms(results: list[StreamResult]) -> list[float]:
    """Per utterance in the steady window, in arrival order: how far results trail the audio.

    Final transcript received, minus when its last speech was due to leave the
    viewer (its real-time schedule, so a viewer that could not keep up counts
    too). It includes the silence the segmenter waits for before it closes an
    utterance, and frames waiting in any queue, the ingress's socket included.
    """
    started, stopped = steady_window(results)
    timed = []
    for result in results:
        for received, event in _first(result, "transcript", final_only=True).values():
            end_ms = event.get("end_ms")
            if end_ms is not None and started <= received < stopped:
                timed.append((received, received - result.utterance_end_ms(int(end_ms))))
    return [lag for _, lag in sorted(timed)]
