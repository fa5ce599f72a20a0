"""`just drill`: fault drills against a running stack, each reporting what a viewer would notice.

A stack of local processes (Kafka, Redis, the flow, two ingresses; no-op
providers, so that the drills test delivery and accounting, not speech) runs
under supervisord exactly as `just up` runs it, and serves simulated viewers
(premium and free in turn) that reconnect when their socket drops. A control
session first streams the same audio undisturbed: its events are what every
session must receive. Then, each while viewers stream:

- flow-kill: SIGKILL the flow three times, a few seconds apart (the supervisor
  restarts it each time);
- flow-sigkill: SIGKILL the flow once, mid-stream: the supervisor must have it
  back (serving its metrics, so past building the dataflow) within 5 s;
- kafka-restart: stop the broker and start it again;
- redis-restart: stop Redis and start it again;
- redis-outage: stop Redis for 45 s while the viewers stream (longer streams,
  so that they go on past it); free viewers stream on their outage grace;
- ingress-kill: SIGKILL one of the two ingresses (its viewers reconnect to the
  other; the supervisor restarts it).

Per drill: events lost (expected, never received), events duplicated at the
client (received twice), usage charged against audio streamed, per session.
Target: 0, 0, equal (and flow-sigkill's restart within 5 s). Beside them, the
audio the viewers sent again after reconnecting, what of it the flow already
had (dropped), and the audio the flow found missing (`flows.segmenter`; the
flow's counters, so a drill that restarts the flow shows only what came after).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

import settings
from bench.clients import StreamPlan, StreamResult, stream
from bench.speech_plan import looped_plan, speech_block
from devstack.full_stack import FullStack
from devstack.processes import stop_on_sigterm
from flows.metrics import scrape_counter
from ingress.dev_token import mint_dev_token
from state.scripts import ScriptRunner
from state.usage import Usage

ENV = {
    "STT_PROVIDER": "noop",
    "TRANSLATION_PROVIDER": "noop",
    "TTS_PROVIDER": "noop",
    "SPEAKER_EMBEDDER": "none",
    "SOURCE_LANGUAGES": "he,en",
    "RATE_LIMIT_PER_MINUTE": "100000",
    "MAX_SESSIONS_PER_USER": "100000",
    "SNAPSHOT_INTERVAL_SECONDS": "1",
}
COUNTED = ("transcript", "subtitle", "audio", "status")
OUTAGE_S = 45.0
OUTAGE_AT_S = 4.0
BACK_WITHIN_S = 5.0


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"[drill {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def suffix(event_id: str, session_id: str) -> str:
    """An event id without its session: comparable across sessions streaming the same audio."""
    return event_id.removeprefix(session_id + ":")


def received_ids(result: StreamResult) -> list[str]:
    """Ids of the result events (final ones, and `ended`) the viewer received, repeats kept."""
    ids = []
    for _, event in result.events:
        kind, event_id = event.get("type"), event.get("id")
        if not event_id or kind not in COUNTED:
            continue
        if kind == "status" and event.get("status") != "ended":
            continue
        if event.get("final", True):
            ids.append(suffix(event_id, result.session_id))
    return ids


def run_viewers(stack: FullStack, plan: StreamPlan, count: int, tag: str) -> list[StreamResult]:
    """`count` viewers, spread over both ingresses, each reconnecting on a dropped socket."""
    urls = [stack.ingress_url(i) for i in range(len(stack.ingress_ports))]

    async def viewers() -> list[StreamResult]:
        return list(
            await asyncio.gather(
                *[
                    stream(
                        urls[i % len(urls) :] + urls[: i % len(urls)],
                        mint_dev_token(
                            stack.cfg, f"drill-{tag}-{i}", "free" if i % 2 else "premium"
                        ),
                        plan,
                        start_delay_s=0.2 * i,
                        end_timeout_s=90,
                        reconnects=20,
                    )
                    for i in range(count)
                ]
            )
        )

    return asyncio.run(viewers())


def charged_ms(cfg: settings.Settings, session_id: str) -> int:
    """What the usage ledger charged for the session."""
    client = redis.Redis.from_url(cfg.redis_url)
    try:
        entry = ScriptRunner(client)(Usage(cfg).ledger(session_id))
    finally:
        client.close()
    return entry.processed_ms if entry else 0


def flow_audio_counters(stack: FullStack) -> tuple[float, float]:
    """The flow's seconds of audio sent again and dropped, and found missing, so far."""
    url = stack.flow_metrics_url
    return (
        scrape_counter(url, "livedub_flow_audio_resent_seconds"),
        scrape_counter(url, "livedub_flow_audio_lost_seconds"),
    )


def score(stack: FullStack, expected: set[str], results: list[StreamResult]) -> dict[str, Any]:
    """Lost, duplicated and unexpected events; usage against audio streamed."""
    sessions: list[dict[str, Any]] = []
    for r in results:
        ids = received_ids(r)
        counts = Counter(ids)
        streamed = r.bytes_sent // 32  # PCM s16le 16 kHz: 32 bytes a millisecond
        sessions.append(
            {
                "session": r.session_id,
                "lost": sorted(expected - set(ids)),
                "duplicated": sorted(i for i, n in counts.items() if n > 1),
                "unexpected": sorted(set(ids) - expected),
                "streamed_ms": streamed,
                "charged_ms": charged_ms(stack.cfg, r.session_id),
                "reconnects": r.reconnects,
                "error": r.error,
            }
        )
    return {
        "events_lost": sum(len(s["lost"]) for s in sessions),
        "events_duplicated": sum(len(s["duplicated"]) for s in sessions),
        "events_unexpected": sum(len(s["unexpected"]) for s in sessions),
        "seconds_streamed": sum(s["streamed_ms"] for s in sessions) / 1000,
        "seconds_charged": sum(s["charged_ms"] for s in sessions) / 1000,
        "seconds_resent": sum(r.bytes_resent for r in results) / 32000,
        "usage_equal": all(s["streamed_ms"] == s["charged_ms"] for s in sessions),
        "sessions": sessions,
    }


def during(delay_s: float, fault: Callable[[], None]) -> threading.Thread:
    """Run the fault in the background after `delay_s` (viewers stream meanwhile)."""

    def act() -> None:
        time.sleep(delay_s)
        fault()

    thread = threading.Thread(target=act, daemon=True)
    thread.start()
    return thread


def kill_flow_three_times(stack: FullStack) -> dict[str, Any]:
    """SIGKILL the flow three times, a few seconds apart; the supervisor restarts it."""
    backs = []
    for _ in range(3):
        backs.append(sigkill_flow(stack)["flow_back_s"])
        time.sleep(4.0)
    return {"flow_back_s": backs}


def sigkill_flow(stack: FullStack) -> dict[str, Any]:
    """SIGKILL the flow once; how soon its supervisor has it running and serving again."""
    pid = stack.pid("flow")
    assert pid is not None, "the flow is not running"
    killed = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    respawned = stack.supervisor.wait_respawned("flow", pid, 60)
    spawned_s = time.monotonic() - killed
    back = stack.flow_ready(60)
    back_s = time.monotonic() - killed
    log(
        f"  flow SIGKILLed: new pid {respawned} after {spawned_s:.1f}s, serving after {back_s:.1f}s"
    )
    return {"flow_back_s": round(back_s, 2) if back else None}


def restart_kafka(stack: FullStack) -> dict[str, Any]:
    """Stop the broker (SIGTERM, as an operator would) and start it again."""
    stack.stop_part("kafka")
    time.sleep(2.0)
    stack.start_kafka()
    return {}


def restart_redis(stack: FullStack) -> dict[str, Any]:
    """Stop Redis and start it again (its append-only file keeps the data)."""
    stack.stop_part("redis")
    time.sleep(2.0)
    stack.start_redis()
    return {}


def redis_outage(stack: FullStack) -> dict[str, Any]:
    """Redis away for OUTAGE_S while the viewers stream."""
    stack.stop_part("redis")
    time.sleep(OUTAGE_S)
    stack.start_redis()
    return {"outage_s": OUTAGE_S}


def kill_ingress(stack: FullStack) -> dict[str, Any]:
    """SIGKILL ingress 0; its viewers reconnect to ingress 1; the supervisor restarts it."""
    pid = stack.pid("ingress-0")
    if pid:
        os.kill(pid, signal.SIGKILL)
    return {}


@dataclass(frozen=True)
class Drill:
    """A fault, when it strikes, and how long the viewers stream (None: --seconds)."""

    fault: Callable[[FullStack], dict[str, Any]]
    at_s: float | None = None  # None: a third into the stream
    stream_s: float | None = None


DRILLS: dict[str, Drill] = {
    "flow-kill": Drill(kill_flow_three_times),
    "flow-sigkill": Drill(sigkill_flow),
    "kafka-restart": Drill(restart_kafka),
    "redis-restart": Drill(restart_redis),
    "redis-outage": Drill(redis_outage, OUTAGE_AT_S, OUTAGE_AT_S + OUTAGE_S + 12.0),
    "ingress-kill": Drill(kill_ingress),
}


def _strike(drill: Drill, stack: FullStack, outcome: dict[str, Any]) -> None:
    outcome.update(drill.fault(stack))


def met(name: str, report: dict[str, Any]) -> bool:
    """The drill's target: nothing lost or repeated, usage equal (and a quick restart)."""
    ok = report["events_lost"] == 0 and report["events_duplicated"] == 0 and report["usage_equal"]
    if name == "flow-sigkill":
        back = report.get("flow_back_s")
        ok = ok and back is not None and back <= BACK_WITHIN_S
    return bool(ok)


def main() -> int:
    """Run the drills chosen; print a table and write drill-results/drills.json."""
    stop_on_sigterm()
    parser = argparse.ArgumentParser(prog="just drill", description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=sorted(DRILLS), action="append")
    parser.add_argument("--viewers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=24.0, help="audio each viewer streams")
    parser.add_argument("--out", type=Path, default=Path("drill-results"))
    args = parser.parse_args()
    chosen = args.only or list(DRILLS)
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="livedub-drill-") as tmp:
        stack = FullStack(Path(tmp), ingresses=2, env=ENV)
        log("starting Kafka, Redis, the flow and two ingresses under supervisord")
        stack.start()
        try:
            block = speech_block(settings.load())
            controls: dict[float, set[str]] = {}
            for name in chosen:
                drill = DRILLS[name]
                seconds = drill.stream_s or args.seconds
                plan = looped_plan(block, seconds, target_language="en")
                if seconds not in controls:
                    log(f"control: one viewer, no fault, {seconds:.0f}s")
                    control = run_viewers(stack, plan, 1, f"control-{seconds:.0f}")[0]
                    controls[seconds] = set(received_ids(control))
                    log(f"control received {len(controls[seconds])} events")
                log(f"{name}: {args.viewers} viewers for {seconds:.0f}s")
                outcome: dict[str, Any] = {}
                at_s = seconds / 3 if drill.at_s is None else drill.at_s
                resent_before, lost_before = flow_audio_counters(stack)
                fault = during(at_s, functools.partial(_strike, drill, stack, outcome))
                results = run_viewers(stack, plan, args.viewers, name)
                fault.join()
                report[name] = {**score(stack, controls[seconds], results), **outcome}
                r = report[name]
                resent_after, lost_after = flow_audio_counters(stack)
                r["flow_seconds_resent_dropped"] = round(max(resent_after - resent_before, 0), 3)
                r["flow_seconds_lost"] = round(max(lost_after - lost_before, 0), 3)
                log(
                    f"  lost {r['events_lost']}, duplicated {r['events_duplicated']}, "
                    f"charged {r['seconds_charged']:.1f}s of {r['seconds_streamed']:.1f}s "
                    f"streamed; {r['seconds_resent']:.1f}s sent again, of which the flow had "
                    f"{r['flow_seconds_resent_dropped']:.2f}s; "
                    f"{r['flow_seconds_lost']:.2f}s missing"
                )
        finally:
            stack.stop()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "drills.json").write_text(json.dumps(report, indent=2))
    print(
        f"\n{'drill':15} {'lost':>5} {'dup':>5} {'streamed s':>11} {'charged s':>10} "
        f"{'flow back s':>14}  met"
    )
    for name, r in report.items():
        back = r.get("flow_back_s")
        backs = "/".join(f"{b:.1f}" for b in back if b) if isinstance(back, list) else back
        print(
            f"{name:15} {r['events_lost']:5} {r['events_duplicated']:5} "
            f"{r['seconds_streamed']:11.1f} {r['seconds_charged']:10.1f} "
            f"{'' if backs is None else backs:>14}  {'yes' if met(name, r) else 'NO'}"
        )
    ok = all(met(name, r) for name, r in report.items())
    print(
        "\nall drills met the target (0 lost, 0 duplicated, usage equal; flow back within 5 s)"
        if ok
        else "\nsome drills missed the target: see drill-results/drills.json"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
