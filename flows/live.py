"""The live flow: Kafka audio topic in, Kafka results topic out.

`python -m flows` runs it under `bytewax.run` with recovery; `build_live_flow`
is the import string it hands over.
"""

from __future__ import annotations

import logging
import os

import bytewax.operators as op
from bytewax.dataflow import Dataflow

import settings
from flows.audio_log import AudioLog
from flows.dataflow import process_audio
from flows.decode import decode_message
from flows.kafka_input import AudioTopicSource
from flows.metrics import PROCESS_ID_ENV, count_start, serve
from flows.results_sink import PART, ResultsSink
from flows.segmenter import SegmenterConfig
from flows.speakers import SpeakerSetup
from flows.speech_steps import SpeechProviders
from flows.usage_ledger import RedisUsageLedger
from providers import registry
from settings.heap import freeze_startup_objects

# The broker answers a fetch as soon as one byte is there (fetch.min.bytes), so a
# long wait costs no latency, while a short one makes idle consumers poll the broker.
CONSUMER_CONFIG = {"fetch.wait.max.ms": "100", "fetch.min.bytes": "1"}


def segmenter_config(cfg: settings.Settings) -> SegmenterConfig:
    """Segmentation tunables from configuration."""
    live_stream = registry.streams_speech(cfg)
    return SegmenterConfig(
        silence_ms=cfg.vad_silence_ms,
        max_utterance_ms=cfg.max_utterance_ms,
        partial_first_ms=cfg.partial_first_ms,
        partial_interval_ms=cfg.partial_interval_ms,
        # A streaming provider sends its own partials, as the words grow.
        partials=cfg.partial_interval_ms > 0 and not live_stream,
        idle_timeout_s=float(cfg.session_ttl_seconds),
        live_stream=live_stream,
        stream_idle_ms=round(cfg.stt_stream_idle_seconds * 1000),
    )


def build_live_flow() -> Dataflow:
    """The production dataflow, configured from the environment."""
    cfg = settings.load()
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for ours in ("flows", "providers"):  # libraries stay at warnings
        logging.getLogger(ours).setLevel(logging.INFO)
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
        AudioLog(cfg.kafka_bootstrap, cfg.topic_audio),
        SpeakerSetup.from_settings(cfg),
    )
    to_sink = op.key_on("to_sink", events, lambda _event: PART)
    op.output("results_out", to_sink, ResultsSink(cfg.kafka_bootstrap, cfg.topic_results))
    # Served once the dataflow is built: a restarted flow that answers is past its start-up.
    process = int(os.environ.get(PROCESS_ID_ENV, "0"))
    port = cfg.flow_metrics_port + process if cfg.flow_metrics_port > 0 else 0
    serve(cfg.flow_metrics_host, port, count_start(cfg.recovery_dir, process))
    freeze_startup_objects()
    return flow
