"""Prometheus metrics, one registry per app (tests run several apps in one process).

Served as text at `/metrics`.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from quart import Blueprint, Quart, Response, current_app

metrics_api = Blueprint("metrics", __name__)

# From a results event's produce time to the moment its socket send returns.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)


class IngressMetrics:
    """What the ingress counts."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.sessions_active = Gauge(
            "livedub_ingress_sessions_active", "Authenticated sockets on this process", registry=r
        )
        self.frames_in = Counter(
            "livedub_ingress_frames_in", "Audio frames accepted and handed to Kafka", registry=r
        )
        self.bytes_in = Counter(
            "livedub_ingress_bytes_in", "PCM bytes accepted and handed to Kafka", registry=r
        )
        self.events_out = Counter(
            "livedub_ingress_events_out", "Events sent to sockets", ["type"], registry=r
        )
        self.duplicates_dropped = Counter(
            "livedub_ingress_duplicates_dropped",
            "Result events not sent again (same id)",
            registry=r,
        )
        self.delivery_latency = Histogram(
            "livedub_ingress_delivery_latency_seconds",
            "Result event produced to sent on its socket",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "livedub_ingress_errors", "Errors answered, by code", ["code"], registry=r
        )
        self.slow_consumer_drops = Counter(
            "livedub_ingress_slow_consumer_drops",
            "Sockets closed because they did not read fast enough",
            registry=r,
        )
        self.audio_batching = Gauge(
            "livedub_ingress_audio_batching",
            "1 while audio records are batched (the process is busy), 0 while they leave at once",
            registry=r,
        )
        self.delivery_failures = Counter(
            "livedub_ingress_kafka_delivery_failures",
            "Audio records Kafka did not accept",
            registry=r,
        )


def app_metrics(app: Quart) -> IngressMetrics:
    """The metrics of an app built by `create_app`."""
    metrics: IngressMetrics = app.extensions["livedub_metrics"]
    return metrics


def install_metrics(app: Quart) -> IngressMetrics:
    """Give the app its own registry and the `/metrics` endpoint."""
    metrics = IngressMetrics()
    app.extensions["livedub_metrics"] = metrics
    app.register_blueprint(metrics_api)
    return metrics


@metrics_api.get("/metrics")
async def prometheus_metrics() -> Response:
    """Prometheus text exposition."""
    body = generate_latest(app_metrics(current_app).registry)
    return Response(body, content_type=CONTENT_TYPE_LATEST)
