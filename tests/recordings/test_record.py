"""Recording captures the sessions that start while it runs, with their results, until they end."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import settings
from devstack.kafka_io import produce_records
from recordings.file_format import RecordedMessage, RecordingError, read, write
from recordings.record import record
from wire.audio import AudioFrame, EndRecord, SessionSettings, StartRecord
from wire.events import ResultEvent, event_id


def _results(cfg: settings.Settings, events: list[ResultEvent]) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": cfg.kafka_bootstrap})
    for e in events:
        producer.produce(cfg.topic_results, e.to_json(), key=e.session_id.encode())
    assert producer.flush(10) == 0


def test_record_keeps_started_sessions_until_they_end(
    cfg: settings.Settings, tmp_path: Path
) -> None:
    captured: list[tuple[set[str], list[RecordedMessage]]] = []
    recorder = threading.Thread(target=lambda: captured.append(record(cfg, 30, quiet_s=0.5)))
    recorder.start()
    time.sleep(2)  # reading from the end: let the recorder get there
    session = SessionSettings(session_id="rec-1", user_id="u")
    produce_records(
        cfg.kafka_bootstrap,
        cfg.topic_audio,
        [
            StartRecord(session),
            AudioFrame("rec-1", 0, 0, 0, bytes(3200)),
            EndRecord("rec-1", 0, 0),
            AudioFrame("stranger", 5, 0, 0, bytes(3200)),  # started before: not ours to record
        ],
    )
    transcript = ResultEvent(
        type="transcript",
        id=event_id("rec-1", 0, "transcript", "final"),
        session_id="rec-1",
        segment=0,
        data="hello",
    )
    ended = ResultEvent(
        type="status", id=event_id("rec-1", -1, "status-ended"), session_id="rec-1", status="ended"
    )
    _results(cfg, [transcript, ended])
    recorder.join(40)

    sessions, messages = captured[0]
    assert sessions == {"rec-1"}
    assert [m.stream for m in messages].count("audio") == 3
    assert [m.value for m in messages if m.stream == "results"] == [
        transcript.to_json(),
        ended.to_json(),
    ]
    path = tmp_path / "r.jsonl.gz"
    write(path, sessions, messages)
    assert read(path).messages == tuple(messages)


def test_a_file_that_is_not_a_recording_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl.gz"
    path.write_bytes(b"hello")
    with pytest.raises(RecordingError, match="not a livedub recording"):
        read(path)
