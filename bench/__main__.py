"""`just bench`: simulated viewers through the whole stack, figures as ratios to same-run limits.

1. Limits: a bare Kafka produce->consume round trip on the same broker and a
   bare WebSocket echo on the same server stack. The Kafka round trip is
   measured again on the idle broker just before each no-op load (the limit
   that load's figures are divided by: the host's speed drifts over minutes),
   and beside each load, in a process of its own: what the load does to a bare
   Kafka hop on these two cores. Two bare hops (a record out to a relay
   process and back, `bench.kafka_relay`) are measured at the start and beside
   each load too: the pipeline crosses Kafka twice, and this is what those two
   crossings alone cost under the same load.
2. Capacity and pipeline overhead (no-op providers, so the pipeline is what is
   measured): N viewers stream 100 ms frames in real time; per event, the
   ingress sending it on the viewer's socket minus the ingress's receipt of the
   frame that closed the segment minus the time inside providers, also cut
   where the flow's segmenter closed the segment, with the slowest events'
   times; and the same up to the viewer's receipt. Lag, per utterance: final
   transcript received minus when the viewer heard its speech end. It
   is bounded when its last third's p95 is under a second and its p50 within
   100 ms of the first third's. Viewers tune in at random points of the
   programme; one more run has them all in step (the burst case).
3. The offline speech stack (Whisper, Apertium, Piper; en->es, dubbing and
   subtitles): utterance end (the viewer hearing the speaker stop) -> first and
   final subtitle, -> first dubbed audio, with every utterance translated.

Writes bench-results/bench.json and bench-results/bench.png.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import settings
from bench.baselines import kafka_round_trip_ms, kafka_trips_ms, websocket_echo_ms
from bench.clients import StreamPlan, StreamResult
from bench.cloud_speech import cloud_plans, cloud_stack, provider_budget_ms
from bench.measures import (
    final_subtitle_split_ms,
    first_text_ms,
    lag_ms,
    most_streams_held,
    over_the_run,
    overhead_split_ms,
    overheads_to_viewer_ms,
    p50_by_minute,
    partial_rewrites,
    pipeline_overheads_ms,
    slowest_events,
    thirds,
    utterance_latencies,
    utterance_latency_ms,
)
from bench.plot import plot
from bench.recovery_store import newest_snapshot_bytes
from bench.speech_plan import Programme, looped_plan, speech_block
from bench.stats import cpu_percent, percentiles, sample
from bench.targets import DRIFT_MS, LAG_BOUND_MS, table, verdicts
from bench.viewers import ViewerGroup, ViewersRun, run_viewers
from devstack.full_stack import FullStack
from devstack.processes import stop_on_sigterm
from ingress.dev_token import mint_dev_token
from standins.cloud import Latencies
from wire.audio import BYTES_PER_SAMPLE, SAMPLE_RATE

NOOP = {
    "STT_PROVIDER": "noop",
    "TRANSLATION_PROVIDER": "noop",
    "TTS_PROVIDER": "noop",
    "SPEAKER_EMBEDDER": "none",
}
COMMON = {
    "SOURCE_LANGUAGES": "he,en",
    "RATE_LIMIT_PER_MINUTE": "100000",
    "MAX_SESSIONS_PER_USER": "100000",
}
# The programme loops, so its sentences repeat: a remembered translation would
# leave Apertium out of every utterance after the first round.
SPEECH = {"TRANSLATION_CACHE_SIZE": "0"}
WARMUP_STREAMS = 100
CLOUD_WARMUP_S = 20.0
PROBE_MARGIN_S = 3.0  # the probe beside a load skips its start and end
# The probe beside a load takes a trip every 30 ms, one hop and two in turn: the
# records it and the relay produce add up to the 50 a second one hop every 20 ms did.
PROBE_INTERVAL_S = 0.03
IDLE_PROBE_RECORDS = 2000


def log(message: str) -> None:
    """Progress on stderr, so long runs show where they are."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_clients(
    stack: FullStack, plans: list[StreamPlan], spread_s: float, processes: int = 1
) -> ViewersRun:
    """All viewers at once, each a premium user of its own, spread over the ingresses."""
    ingresses = len(stack.ingress_ports)
    group = ViewerGroup(
        urls=[stack.ingress_url(i % ingresses) for i in range(len(plans))],
        tokens=[mint_dev_token(stack.cfg, f"bench-{i}", "premium") for i in range(len(plans))],
        plans=plans,
        spread_s=spread_s,
    )
    return run_viewers(group, processes)


def measure_load(
    stack: FullStack, plans: list[StreamPlan], spread_s: float, processes: int = 1
) -> tuple[list[StreamResult], dict[str, Any]]:
    """Run the viewers; CPU and memory of each process over the run (the viewers' too)."""
    pids = stack.pids()
    before = {name: sample(pid) for name, pid in pids.items()}
    started = time.monotonic()
    run = run_clients(stack, plans, spread_s, processes)
    seconds = time.monotonic() - started
    after = {name: sample(pid) for name, pid in pids.items()}
    usage: dict[str, dict[str, Any]] = {
        name: {
            "cpu_percent": cpu_percent(before[name], after[name], seconds),
            "rss_mb": round(after[name].rss_mb, 1),
        }
        for name in pids
    }
    # The simulated viewers share the machine: their CPU is what the stack did not get.
    usage["viewers"] = {
        "cpu_percent": round(100 * run.cpu_seconds / seconds, 1),
        "processes": processes,
        "event_loop_delay_ms": percentiles(run.loop_delays_ms),
    }
    return run.results, usage


def no_op_run(
    stack: FullStack, plans: list[StreamPlan], baselines: dict[str, Any], per_process: int
) -> tuple[list[float], dict[str, Any]]:
    """One no-op load: overheads in arrival order, and its figures against the baselines."""
    processes = -(-len(plans) // per_process)
    seconds = max(plan.pcm_bytes for plan in plans) / (SAMPLE_RATE * BYTES_PER_SAMPLE)
    # The limit: the bare round trip on the idle broker, just before this load. The
    # host's speed drifts over minutes (other tenants), and a limit measured at the
    # start of the run would carry that drift into every ratio.
    kafka_idle = percentiles(kafka_round_trip_ms(stack.broker.bootstrap, IDLE_PROBE_RECORDS))
    # The bare round trip again, and two bare hops, beside this load: the steady part
    # of the run, in one process, at a gentle pace (PROBE_INTERVAL_S), so it adds little.
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as probe:
        beside = probe.submit(
            kafka_trips_ms,
            stack.broker.bootstrap,
            (1, 2),
            count=1_000_000,
            interval_s=PROBE_INTERVAL_S,
            start_after_s=PROBE_MARGIN_S,
            within_s=seconds - 2 * PROBE_MARGIN_S,
        )
        # And the flow's snapshot size in the middle of the run, every session open.
        snapshot: dict[str, Any] = {}
        look = threading.Timer(
            seconds / 2,
            lambda: snapshot.update(newest_snapshot_bytes(Path(stack.cfg.recovery_dir))),
        )
        look.start()
        results, usage = measure_load(stack, plans, spread_s=1.0, processes=processes)
        look.join()
        kafka_beside, two_hops_beside = (percentiles(trips) for trips in beside.result())
    values = pipeline_overheads_ms(results)
    lags = lag_ms(results)
    first, last = thirds(lags)
    failed = [r.error for r in results if r.error]
    bounded = not failed and last["p95"] <= LAG_BOUND_MS and last["p50"] <= first["p50"] + DRIFT_MS
    overall = percentiles(values)
    split = {name: percentiles(part) for name, part in overhead_split_ms(results).items()}
    to_viewer = percentiles(overheads_to_viewer_ms(results))
    kafka_p99 = kafka_idle["p99"]
    figures = {
        "pipeline_overhead_ms": overall,
        "overhead_to_segmenter_ms": split["to_segmenter"],
        "overhead_after_segmenter_ms": split["after_segmenter"],
        "overhead_to_viewer_ms": to_viewer,
        "slowest_events": slowest_events(results),
        "kafka_round_trip_idle_ms": kafka_idle,
        "p99_over_bare_kafka_p99": round(overall["p99"] / kafka_p99, 2),
        "to_viewer_p99_over_bare_kafka_p99": round(to_viewer["p99"] / kafka_p99, 2),
        "kafka_round_trip_beside_ms": kafka_beside,
        "p99_over_bare_kafka_beside_p99": round(overall["p99"] / kafka_beside["p99"], 2),
        "kafka_two_hops_beside_ms": two_hops_beside,
        "p99_over_bare_two_hops_beside_p99": round(overall["p99"] / two_hops_beside["p99"], 2),
        # The best ratio to the target's limit that a design crossing Kafka twice could
        # score here: the two hops alone, under this load, over the idle round trip.
        "two_hops_beside_p99_over_bare_kafka_p99": round(two_hops_beside["p99"] / kafka_p99, 2),
        "p50_over_bare_websocket_p50": round(
            overall["p50"] / baselines["websocket_echo_ms"]["p50"], 1
        ),
        "flow_snapshot": snapshot,
        "lag_ms": percentiles(lags),
        "lag_first_third_ms": first,
        "lag_last_third_ms": last,
        "lag_bounded": bounded,
        "client_errors": failed[:5],
        "errors": len(failed),
        "processes": usage,
    }
    log(
        f"  overhead p50 {overall['p50']} p99 {overall['p99']} ms "
        f"(x{figures['p99_over_bare_kafka_p99']} bare Kafka p99 just before, idle, "
        f"x{figures['p99_over_bare_kafka_beside_p99']} beside the load, "
        f"x{figures['p99_over_bare_two_hops_beside_p99']} two bare hops beside it, which are "
        f"themselves x{figures['two_hops_beside_p99_over_bare_kafka_p99']} the idle limit; "
        f"p99 to the segmenter "
        f"{split['to_segmenter']['p99']}, after it {split['after_segmenter']['p99']}; "
        f"to the viewer p99 {to_viewer['p99']}), "
        f"lag p50 {last['p50']} p95 {last['p95']} ms (last third), "
        f"bounded={bounded}, errors={len(failed)}"
    )
    return values, figures


def capacity(
    block: Programme,
    counts: list[int],
    burst_streams: int,
    seconds: float,
    warmup_seconds: float,
    ingresses: int,
    per_process: int,
    workdir: Path,
) -> tuple[dict[str, Any], dict[int, list[float]], dict[str, Any]]:
    """Baselines and the no-op pipeline at each stream count."""
    stack = FullStack(workdir / "noop", ingresses=ingresses, env={**COMMON, **NOOP})
    stack.start()
    try:
        if counts and warmup_seconds > 0:
            # A fresh JVM interprets before it compiles: the broker needs far more CPU
            # in its first minute, and answers slower. Measure it (the bare round trip
            # too) as it runs, warm.
            viewers = min(max(counts), WARMUP_STREAMS)
            log(f"warming the stack up: {viewers} streams for {warmup_seconds:.0f}s")
            warm = looped_plan(block, warmup_seconds, target_language="en")
            run_clients(stack, [warm] * viewers, spread_s=1.0)
        log("baseline: bare Kafka round trip")
        baselines = {
            "kafka_round_trip_ms": percentiles(kafka_round_trip_ms(stack.broker.bootstrap, 2000))
        }
        log("baseline: two bare Kafka hops (through a relay)")
        [two_hops] = kafka_trips_ms(stack.broker.bootstrap, (2,), 2000)
        baselines["kafka_two_hops_ms"] = percentiles(two_hops)
        log("baseline: bare WebSocket echo")
        baselines["websocket_echo_ms"] = percentiles(websocket_echo_ms())
        figures: dict[str, Any] = {}
        overheads: dict[int, list[float]] = {}
        for count in counts:
            log(f"{count} streams for {seconds:.0f}s (no-op providers)")
            # Each viewer tuned in at a moment of its own, as viewers of many
            # programmes do: utterances end at any time, not all at once.
            phases = random.Random(count)
            plans = [
                looped_plan(block, seconds, target_language="en", phase_ms=phases.randrange(60000))
                for _ in range(count)
            ]
            overheads[count], figures[str(count)] = no_op_run(stack, plans, baselines, per_process)
        if burst_streams:
            log(f"{burst_streams} streams in step for {seconds:.0f}s (no-op providers)")
            # One programme, every viewer at the same moment: each utterance ends
            # for all of them within a second, a burst of results (the worst case).
            plan = looped_plan(block, seconds, target_language="en")
            _, figures["in_step"] = no_op_run(stack, [plan] * burst_streams, baselines, per_process)
            figures["in_step"]["streams"] = burst_streams
        return baselines, overheads, figures
    finally:
        stack.stop()


def speech(block: Programme, counts: list[int], seconds: float, workdir: Path) -> dict[str, Any]:
    """The offline speech stack, en->es, both modes."""
    stack = FullStack(workdir / "speech", env={**COMMON, **SPEECH})
    stack.start()
    try:
        figures: dict[str, Any] = {}
        warm = looped_plan(block, 5)
        log("warming the models up")
        run_clients(stack, [warm], 0)
        for count in counts:
            log(f"{count} speech stream(s) for {seconds:.0f}s (Whisper, Apertium, Piper)")
            # Each viewer tuned in at a point of the programme of its own.
            phases = random.Random(count)
            block_ms = len(block.pcm) // 32
            plans = [
                looped_plan(block, seconds, phase_ms=phases.randrange(block_ms))
                for _ in range(count)
            ]
            results, usage = measure_load(stack, plans, spread_s=0.0)
            figures[str(count)] = speech_figures(results, plans, usage, seconds)
            log(f"  final subtitle p50 {figures[str(count)]['utterance_end_to_final_subtitle_ms']}")
        return figures
    finally:
        stack.stop()


def cloud(counts: list[int], seconds: float, workdir: Path) -> dict[str, Any]:
    """Hebrew -> English on the cloud adapters, the providers played by their stand-ins."""
    log("starting the cloud stand-ins (providers' published latencies)")
    stack, standins, block = cloud_stack(workdir, COMMON)
    figures: dict[str, Any] = {"providers_ms": provider_budget_ms(Latencies())}
    try:
        stack.start()
        # The broker's JVM and the stand-ins need a busy minute before they run at speed.
        warm = max(counts, default=1)
        log(f"warming up: {warm} Hebrew viewers for {CLOUD_WARMUP_S:.0f}s")
        run_clients(stack, cloud_plans(block, warm, CLOUD_WARMUP_S), spread_s=1.0)
        for count in counts:
            log(f"{count} Hebrew stream(s) for {seconds:.0f}s (AssemblyAI, DeepL, ElevenLabs)")
            pid = standins.proc.pid()
            before, started = (sample(pid) if pid else None), time.monotonic()
            plans = cloud_plans(block, count, seconds)
            results, usage = measure_load(stack, plans, spread_s=1.0)
            if pid and before is not None:
                # The providers' work shares these two cores too; in life it runs elsewhere.
                took = cpu_percent(before, sample(pid), time.monotonic() - started)
                usage["standins"] = {"cpu_percent": took}
            figures[str(count)] = speech_figures(results, plans, usage, seconds)
            run = figures[str(count)]
            log(
                f"  final subtitle p50 {run['utterance_end_to_final_subtitle_ms']['p50']} ms, "
                f"first audio p50 {run['utterance_end_to_first_audio_ms']['p50']} ms"
            )
    finally:
        stack.stop()
        figures["providers_usage"] = standins.stop()
    return figures


def speech_figures(
    results: list[StreamResult],
    plans: list[StreamPlan],
    usage: dict[str, Any],
    seconds: float,
) -> dict[str, Any]:
    """What a speech run measured: latencies per utterance, partials' steadiness, CPU per stream.

    Per utterance: its end -> the first and the final subtitle, and the first
    dubbed audio; its start -> the first words on screen.
    """
    timed = utterance_latencies(results, "subtitle", final_only=True)
    final = [latency for _, latency in timed]
    first_third, last_third = thirds(final)
    stack_cpu = sum(
        float(usage[name]["cpu_percent"])
        for name in usage
        if name in ("flow", "kafka", "redis") or name.startswith("ingress")
    )
    return {
        "seconds": seconds,
        "speech_start_to_first_text_ms": percentiles(first_text_ms(results, plans)),
        "partial_words_rewritten": partial_rewrites(results),
        "partial_subtitle_words_rewritten": partial_rewrites(results, "subtitle"),
        "stack_cpu_percent": round(stack_cpu, 1),
        "stack_cpu_percent_per_stream": round(stack_cpu / max(1, len(plans)), 1),
        "utterance_end_to_first_subtitle_ms": percentiles(
            utterance_latency_ms(results, "subtitle", final_only=False)
        ),
        "utterance_end_to_final_subtitle_ms": percentiles(final),
        "final_subtitle_split_ms": {
            part: percentiles(values) for part, values in final_subtitle_split_ms(results).items()
        },
        "utterance_end_to_first_audio_ms": percentiles(
            utterance_latency_ms(results, "audio", final_only=True)
        ),
        "final_subtitle_first_third_ms": first_third,
        "final_subtitle_last_third_ms": last_third,
        "final_subtitle_p50_by_minute_ms": p50_by_minute(timed),
        "final_subtitle_over_run_s_ms": over_the_run(timed),
        "backlog_reports": sum(
            1 for r in results for _, e in r.events if e.get("status") == "backlog"
        ),
        "errors": [r.error for r in results if r.error][:5],
        "processes": usage,
    }


def main() -> int:
    """Run the scenarios chosen on the command line; write JSON and PNG."""
    stop_on_sigterm()
    parser = argparse.ArgumentParser(prog="just bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--providers",
        default="offline",
        help="speech stacks to measure: offline (Whisper, Apertium, Piper; en->es), "
        "cloud (AssemblyAI, DeepL, ElevenLabs at their stand-ins; Hebrew), or both",
    )
    parser.add_argument(
        "--streams",
        default=None,
        help="no-op stream counts for overhead and capacity "
        "(default 10,100,200,300,400,500 with the offline stack, none with cloud alone)",
    )
    parser.add_argument(
        "--in-step-streams",
        type=int,
        default=None,
        help="streams for the run where every viewer hears the same moment "
        "(0: skip; default 100 with the offline stack, 0 with cloud alone)",
    )
    parser.add_argument(
        "--ingresses",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="ingress processes for the no-op runs (default: one per core)",
    )
    parser.add_argument(
        "--viewers-per-process",
        type=int,
        default=200,
        help="simulated viewers per load-generating process (one process cannot send 500 on time)",
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each no-op run")
    parser.add_argument(
        "--warmup-seconds",
        type=float,
        default=30.0,
        help="no-op load (up to 100 streams) before the stream counts are measured",
    )
    parser.add_argument("--speech-streams", default="8,16")
    parser.add_argument(
        "--speech-seconds",
        type=float,
        default=60.0,
        help="length of each speech run (600 for the 10-minute soak)",
    )
    parser.add_argument("--cloud-streams", default="50", help="Hebrew viewers on the cloud stack")
    parser.add_argument("--cloud-seconds", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args()
    stacks = {name.strip() for name in args.providers.split(",") if name.strip()}
    if not stacks <= {"offline", "cloud"}:
        parser.error("--providers takes offline, cloud or offline,cloud")
    if args.streams is None:
        args.streams = "10,100,200,300,400,500" if "offline" in stacks else ""
    if args.in_step_streams is None:
        args.in_step_streams = 100 if "offline" in stacks else 0
    args.out.mkdir(parents=True, exist_ok=True)
    cfg = settings.load()
    block = speech_block(cfg)
    with tempfile.TemporaryDirectory(prefix="livedub-bench-") as tmp:
        counts = [int(n) for n in args.streams.split(",") if n]
        baselines: dict[str, Any] = {}
        overheads: dict[int, list[float]] = {}
        capacity_figures: dict[str, Any] = {}
        if counts or args.in_step_streams:
            baselines, overheads, capacity_figures = capacity(
                block,
                counts,
                args.in_step_streams,
                args.seconds,
                args.warmup_seconds,
                args.ingresses,
                args.viewers_per_process,
                Path(tmp),
            )
        speech_counts = [int(n) for n in args.speech_streams.split(",") if n]
        offline = (
            {}
            if "offline" not in stacks
            else speech(block, speech_counts, args.speech_seconds, Path(tmp))
        )
        cloud_counts = [int(n) for n in args.cloud_streams.split(",") if n]
        on_cloud = (
            {} if "cloud" not in stacks else cloud(cloud_counts, args.cloud_seconds, Path(tmp))
        )
    bounded = {int(n): f["lag_bounded"] for n, f in capacity_figures.items() if n.isdigit()}
    report = {
        "machine": {"cores": len(os.sched_getaffinity(0))},
        "baselines": baselines,
        "capacity": capacity_figures,
        "most_streams_with_bounded_lag": most_streams_held(bounded),
        "speech": offline,
        "cloud": on_cloud,
    }
    found = verdicts(report)
    report["targets"] = [asdict(verdict) for verdict in found]
    (args.out / "bench.json").write_text(json.dumps(report, indent=2))
    plot(report, overheads, args.out / "bench.png")
    print(json.dumps(report, indent=2))
    print(f"\nwrote {args.out / 'bench.json'} and {args.out / 'bench.png'}")
    log("targets:")
    for line in table(found):
        log(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
