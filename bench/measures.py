"""Turning what the simulated viewers saw into the benchmark's figures."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from bench.clients import StreamPlan, StreamResult
from bench.stats import percentiles

FINAL_KINDS = ("transcript", "subtitle", "audio")


def _first(result: StreamResult, kind: str, final_only: bool) -> dict[int, tuple[float, Any]]:
    found: dict[int, tuple[float, Any]] = {}
    for received, event in result.events:
        if event.get("type") != kind or (final_only and not event.get("final", True)):
            continue
        found.setdefault(int(event.get("segment", -1)), (received, event))
    return found


def utterance_latencies(
    results: Iterable[StreamResult], kind: str, final_only: bool
) -> list[tuple[float, float]]:
    """Per segment: (when the viewer heard its speech end, ms until the first event of `kind`).

    In the order the utterances ended, across viewers, so that thirds and
    minutes of the list are stretches of the run. A segment's speech end is its
    own `end_ms` on the audio timeline, played in real time from when the
    viewer's capture began.
    """
    timed = []
    for result in results:
        for received, event in _first(result, kind, final_only).values():
            end_ms = event.get("end_ms")
            if end_ms is not None:
                heard = result.utterance_end_ms(int(end_ms))
                timed.append((heard, received - heard))
    return sorted(timed)


def utterance_latency_ms(
    results: Iterable[StreamResult], kind: str, final_only: bool
) -> list[float]:
    """`utterance_latencies` without the times: the latencies, in the order the utterances ended."""
    return [latency for _, latency in utterance_latencies(results, kind, final_only)]


def over_the_run(timed: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Each utterance as (seconds since the first one ended, latency ms): the picture of drift."""
    if not timed:
        return []
    first = timed[0][0]
    return [(round((at - first) / 1000, 2), round(latency, 1)) for at, latency in timed]


def p50_by_minute(timed: list[tuple[float, float]]) -> list[float]:
    """The median of each minute since the first utterance ended (does latency grow?)."""
    if not timed:
        return []
    first = timed[0][0]
    minutes: dict[int, list[float]] = {}
    for at, latency in timed:
        minutes.setdefault(int((at - first) // 60_000), []).append(latency)
    return [percentiles(minutes[m])["p50"] for m in sorted(minutes)]


def thirds(values: list[float]) -> tuple[dict[str, float], dict[str, float]]:
    """Percentiles of the first and the last third of values in time order (does latency grow?)."""
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


def _final_events(results: list[StreamResult]) -> list[tuple[float, dict[str, Any]]]:
    """Final events with the pipeline's timing, received in the steady window, in arrival order."""
    started, stopped = steady_window(results)
    found = []
    for result in results:
        for received, event in result.events:
            final = event.get("type") in FINAL_KINDS and event.get("final", True)
            timed = event.get("source_ingress_ms") and event.get("sent_ms")
            if final and timed and started <= received < stopped:
                found.append((received, event))
    found.sort(key=lambda pair: pair[0])
    return found


def _to_viewer(received: float, event: dict[str, Any]) -> float:
    """Up to `received` from the ingress's receipt of the closing frame, less time in providers."""
    return float(received - event["source_ingress_ms"] - (event.get("provider_ms") or 0.0))


def _overhead(event: dict[str, Any]) -> float:
    """The same, up to the ingress sending the event on the socket."""
    return _to_viewer(event["sent_ms"], event)


def _to_segmenter(event: dict[str, Any]) -> float | None:
    segmented = event.get("segmented_ms")
    return float(segmented - event["source_ingress_ms"]) if segmented else None


def pipeline_overheads_ms(results: list[StreamResult]) -> list[float]:
    """Per final event in the steady window, in arrival order: the pipeline's own time.

    Sent on the viewer's socket by the ingress (the event's `sent_ms`), minus
    the ingress's receipt of the frame that closed the segment, minus the time
    spent inside providers.
    """
    return [_overhead(event) for _, event in _final_events(results)]


def overheads_to_viewer_ms(results: list[StreamResult]) -> list[float]:
    """The same, up to the viewer's receipt instead: the socket and the viewer's own delay too."""
    return [_to_viewer(received, event) for received, event in _final_events(results)]


def overhead_split_ms(results: list[StreamResult]) -> dict[str, list[float]]:
    """The same overheads cut where the flow's segmenter closed the segment.

    `to_segmenter`: the ingress publishing the frame, the audio topic, the flow
    fetching and segmenting it. `after_segmenter`: the provider steps' hand-offs
    (provider time left out), the results topic and the ingress's fan-out.
    """
    split: dict[str, list[float]] = {"to_segmenter": [], "after_segmenter": []}
    for _, event in _final_events(results):
        to_segmenter = _to_segmenter(event)
        if to_segmenter is not None:
            split["to_segmenter"].append(to_segmenter)
            split["after_segmenter"].append(_overhead(event) - to_segmenter)
    return split


def slowest_events(results: list[StreamResult], limit: int = 20) -> list[dict[str, float]]:
    """The slowest final events, by arrival in the steady window: when they came shows a cadence.

    Events stalled together arrive together; a stall that recurs (a periodic
    snapshot, a collector) shows as slow events at a steady interval.
    """
    started, _ = steady_window(results)
    events = _final_events(results)  # in arrival order
    slowest = sorted(events, key=lambda pair: _overhead(pair[1]), reverse=True)[:limit]
    return [
        {
            "at_s": round((received - started) / 1000, 2),
            "overhead_ms": round(_overhead(event), 1),
            "to_segmenter_ms": round(_to_segmenter(event) or -1.0, 1),
        }
        for received, event in sorted(slowest, key=lambda pair: pair[0])
    ]


def lag_ms(results: list[StreamResult]) -> list[float]:
    """Per utterance in the steady window, in arrival order: how far results trail the audio.

    Final transcript received, minus when the viewer heard its speech end (its
    real-time schedule, so a viewer that could not keep up counts too). It
    includes the rest of the speech end's frame, the silence the segmenter waits
    for before it closes an utterance, and frames waiting in any queue, the
    ingress's socket included.
    """
    started, stopped = steady_window(results)
    timed = []
    for result in results:
        for received, event in _first(result, "transcript", final_only=True).values():
            end_ms = event.get("end_ms")
            if end_ms is not None and started <= received < stopped:
                timed.append((received, received - result.utterance_end_ms(int(end_ms))))
    return [lag for _, lag in sorted(timed)]


def most_streams_held(bounded: dict[int, bool]) -> int:
    """The most streams that held, with every smaller count measured holding too (0: none).

    A count that held after a smaller one failed is luck on a noisy machine, not capacity.
    """
    most = 0
    for count in sorted(bounded):
        if not bounded[count]:
            break
        most = count
    return most


_WORD_CHARS = re.compile(r"[\w']+")
# A segment's events start at its utterance's start minus the VAD's pre-roll (240 ms).
MATCH_MS = 600


def first_text_ms(results: Sequence[StreamResult], plans: Sequence[StreamPlan]) -> list[float]:
    """Per utterance heard from its start: its speech starting -> its first words on screen.

    The first transcript or subtitle of a segment, partial or final, against the
    viewer's real-time schedule; the segment is matched to the utterance that
    starts nearest its own start.
    """
    latencies = []
    for result, plan in zip(results, plans, strict=True):
        starts = plan.speech_starts_ms
        if not starts:
            continue
        first: dict[int, tuple[float, int]] = {}
        for received, event in result.events:
            if event.get("type") in ("transcript", "subtitle") and event.get("data"):
                segment, start = int(event.get("segment", -1)), event.get("start_ms")
                if start is not None and segment not in first:
                    first[segment] = (received, int(start))
        for received, start_ms in first.values():
            spoken = min(starts, key=lambda s: abs(s - start_ms))
            if abs(spoken - start_ms) <= MATCH_MS:
                latencies.append(received - result.utterance_end_ms(spoken))
    return latencies


def partial_rewrites(results: Sequence[StreamResult], kind: str = "transcript") -> dict[str, Any]:
    """How many of the words shown in partials a later partial replaced (or took back).

    A word on screen should stay unless the final changes it: `share` is the
    words a later partial of the same segment replaced, over all partial words
    shown; `differs_from_final` counts those the final then wrote otherwise.
    """
    shown = replaced = unlike_final = 0
    for result in results:
        partials: dict[int, list[list[str]]] = {}
        finals: dict[int, list[str]] = {}
        for _, event in result.events:
            if event.get("type") != kind or not event.get("data"):
                continue
            words = _WORD_CHARS.findall(str(event["data"]).lower())
            segment = int(event.get("segment", -1))
            if event.get("final", True):
                finals.setdefault(segment, words)
            else:
                partials.setdefault(segment, []).append(words)
        for segment, hypotheses in partials.items():
            final = finals.get(segment)
            for k, words in enumerate(hypotheses):
                later = hypotheses[k + 1 :]
                for i, word in enumerate(words):
                    shown += 1
                    if any(len(other) <= i or other[i] != word for other in later):
                        replaced += 1
                    if final is not None and (len(final) <= i or final[i] != word):
                        unlike_final += 1
    return {
        "words": shown,
        "replaced": replaced,
        "share": round(replaced / shown, 4) if shown else None,
        "differs_from_final": unlike_final,
    }


def final_subtitle_split_ms(results: Sequence[StreamResult]) -> dict[str, list[float]]:
    """Where each final subtitle's time went, from its utterance's end as the viewer heard it.

    `to_segmenter`: until the flow's segmenter closed the segment (the VAD's
    silence and the way in); `providers`: inside the speech engines (queue
    waits included); `rest`: the flow's hand-offs, Kafka and the ingress.
    """
    split: dict[str, list[float]] = {"to_segmenter": [], "providers": [], "rest": []}
    for result in results:
        for received, event in _first(result, "subtitle", final_only=True).values():
            end_ms, segmented = event.get("end_ms"), event.get("segmented_ms")
            if end_ms is None or segmented is None:
                continue
            heard = result.utterance_end_ms(int(end_ms))
            providers = float(event.get("provider_ms") or 0.0)
            split["to_segmenter"].append(float(segmented) - heard)
            split["providers"].append(providers)
            split["rest"].append(received - float(segmented) - providers)
    return split
