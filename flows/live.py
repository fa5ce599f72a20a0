"""The live flow: Kafka audio topic in, Kafka results topic out.

`python -m flows` runs it under `bytewax.run` with recovery; `build_live_flow`
is the import string it hands over.
"""

from __future__ import annotations

from typing import Any

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from confluent_kafka import Producer

import settings
from flows.dataflow import process_audio
from flows.decode import decode_message
from flows.finish import Routed
from flows.kafka_input import AudioTopicSource
from flows.segmenter import SegmenterConfig
from flows.speech_steps import SpeechProviders
from flows.usage_ledger import RedisUsageLedger

# The broker answers a fetch as soon as one byte is there (fetch.min.bytes), so a
# long wait costs no latency, while a short one makes idle consumers poll the broker.
CONSUMER_CONFIG = {"fetch.wait.max.ms": "100", "fetch.min.bytes": "1"}
# No linger: each batch is flushed as soon as it is written anyway.
PRODUCER_CONFIG = {"linger.ms": "0", "enable.idempotence": "true", "compression.type": "lz4"}


class _ResultsPartition(StatelessSinkPartition[Routed]):
    def __init__(self, producer: Producer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    def write_batch(self, items: list[Routed]) -> None:
        for partition, event in items:
            kwargs: dict[str, Any] = {} if partition is None else {"partition": partition}
            self._producer.produce(
                self._topic, value=event.to_json(), key=event.session_id.encode(), **kwargs
            )
        # Delivered before the epoch can close: a snapshot never covers lost events.
        self._producer.flush()

    def close(self) -> None:
        self._producer.flush()


class ResultsSink(DynamicSink[Routed]):
    """Produces each event to the partition its session's route names (or by key)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._bootstrap = bootstrap
        self._topic = topic

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _ResultsPartition:
        """One idempotent producer per worker."""
        producer = Producer({"bootstrap.servers": self._bootstrap, **PRODUCER_CONFIG})
        return _ResultsPartition(producer, self._topic)


def segmenter_config(cfg: settings.Settings) -> SegmenterConfig:
    """Segmentation tunables from configuration."""
    return SegmenterConfig(
        silence_ms=cfg.vad_silence_ms,
        max_utterance_ms=cfg.max_utterance_ms,
        partial_interval_ms=cfg.partial_interval_ms,
        partials=cfg.partial_interval_ms > 0,
        idle_timeout_s=float(cfg.session_ttl_seconds),
    )


def build_live_flow() -> Dataflow:
    """The production dataflow, configured from the environment."""
    cfg = settings.load()
    flow = Dataflow("livedub")
    messages = op.input(
        "audio_in",
        flow,
        AudioTopicSource(cfg.kafka_bootstrap, cfg.topic_audio, CONSUMER_CONFIG),
    )
    records = op.map("decode", messages, decode_message)
    events = process_audio(
        "process_audio",
        records,
        lambda: SpeechProviders.from_settings(cfg),
        RedisUsageLedger.from_settings(cfg),
        segmenter_config(cfg),
    )
    op.output("results_out", events, ResultsSink(cfg.kafka_bootstrap, cfg.topic_results))
    return flow
