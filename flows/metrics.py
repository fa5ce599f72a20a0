"""The flow's Prometheus metrics, served on FLOW_METRICS_PORT (each `-i` process on port + i).

One registry per process, shared by its worker threads. What they say:
events out by type, time inside providers per event type, how old the audio
behind an event is when it leaves (the flow's delay), the audio records fetched
but not yet read and the records not yet fetched (backlog), usage charges
waiting for the ledger, the seconds each session's speech-to-text stream was
billed (a streaming provider bills by the second), the audio reconnecting
clients sent again (dropped) and the audio that never arrived, and how often
this recovery directory's flow was started again (restarts: the count is kept
beside the snapshots, so it survives the restarts it counts).
"""

from __future__ import annotations

import logging
import time
import urllib.request
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.parser import text_string_to_metric_families

from wire.events import ResultEvent

log = logging.getLogger(__name__)

# Which process of a cluster this is (`python -m flows -i N` sets it).
PROCESS_ID_ENV = "LIVEDUB_FLOW_PROCESS"
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class FlowMetrics:
    """What the flow counts."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.events = Counter(
            "livedub_flow_events", "Result events handed to the results topic", ["type"], registry=r
        )
        self.provider_seconds = Histogram(
            "livedub_flow_provider_seconds",
            "Time inside speech providers behind an event, by event type",
            ["type"],
            buckets=SECONDS_BUCKETS,
            registry=r,
        )
        self.event_delay_seconds = Histogram(
            "livedub_flow_event_delay_seconds",
            "From the ingress's receipt of the audio behind an event to the event leaving the flow",
            buckets=SECONDS_BUCKETS,
            registry=r,
        )
        self.audio_backlog = Gauge(
            "livedub_flow_audio_backlog_records",
            "Audio records on the topic this process has not processed yet",
            registry=r,
        )
        self.charges_waiting = Gauge(
            "livedub_flow_usage_charges_waiting",
            "Usage charges waiting for the ledger (Redis): more than a few means it is away",
            registry=r,
        )
        self.ledger_failures = Counter(
            "livedub_flow_usage_ledger_failures",
            "Round trips to the usage ledger that failed (and will be tried again)",
            registry=r,
        )
        # A streaming speech-to-text provider (AssemblyAI) bills each second a connection is open.
        self.stt_stream_seconds = Histogram(
            "livedub_flow_stt_stream_seconds",
            "Seconds a provider stream (one session's, until a quiet spell or its end) was billed",
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 10800),
            registry=r,
        )
        self.stt_billed_seconds = Counter(
            "livedub_flow_stt_billed_seconds",
            "Provider stream seconds billed, all sessions together",
            registry=r,
        )
        # A reconnecting client sends its last seconds again (`flows.segmenter`).
        self.audio_resent_seconds = Counter(
            "livedub_flow_audio_resent_seconds",
            "Audio a reconnecting client sent again that the flow already had (dropped)",
            registry=r,
        )
        self.audio_lost_seconds = Counter(
            "livedub_flow_audio_lost_seconds",
            "Audio a client sent that never reached the flow (its position jumped past ours)",
            registry=r,
        )
        self.restarts = Counter(
            "livedub_flow_restarts",
            "Starts of this flow process on its recovery directory after the first",
            registry=r,
        )

    def event_out(self, event: ResultEvent) -> None:
        """Count an event on its way to the results topic."""
        self.events.labels(type=event.type).inc()
        if event.provider_ms:
            self.provider_seconds.labels(type=event.type).observe(event.provider_ms / 1000)
        if event.source_ingress_ms:
            delay = time.time() - event.source_ingress_ms / 1000
            self.event_delay_seconds.observe(max(delay, 0.0))


METRICS = FlowMetrics()


def scrape_counter(metrics_url: str, name: str) -> float:
    """A counter's value (summed over its labels) as a flow at `metrics_url` serves it."""
    with urllib.request.urlopen(metrics_url, timeout=5) as response:
        text = response.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == name
        for sample in family.samples
        if sample.name == f"{name}_total"
    )


def count_start(recovery_dir: str, process_id: int) -> int:
    """Note one more start of this process on the recovery directory; the restarts so far."""
    path = Path(recovery_dir) / f"starts-{process_id}"
    try:
        starts = int(path.read_text().strip() or "0")
    except (FileNotFoundError, ValueError):
        starts = 0
    starts += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{starts}\n")
    return starts - 1


_served = False


def serve(host: str, port: int, restarts: int) -> None:
    """Serve the metrics on host:port (port 0: not at all); once a process."""
    global _served
    if _served:
        return
    _served = True
    METRICS.restarts.inc(restarts)
    if port > 0:
        start_http_server(port, addr=host, registry=METRICS.registry)
        log.info("flow metrics on http://%s:%d/metrics", host, port)
