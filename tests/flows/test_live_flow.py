"""The live flow as a process, through the real broker and Redis: results, usage, recovery."""

from __future__ import annotations

import dataclasses
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis

import settings
from devstack.flow_process import FlowProcess
from devstack.kafka_io import ResultReader, ended, produce_records
from devstack.prereqs import free_port
from flows.__main__ import ensure_recovery_dir
from state.quotas import Quotas
from state.scripts import ScriptRunner
from state.usage import Usage
from tests.support.own_redis import OwnRedis, own_redis
from tests.support.speech import frames, utterances
from wire.audio import AudioFrame, AudioRecord, EndRecord, SessionSettings, StartRecord
from wire.events import ResultEvent

OUTAGE_S = 40.0
SENTENCES = (
    "The weather is nice today.",
    "We are going to the beach this afternoon.",
    "Please bring a hat and some water.",
    "The bus leaves at three o'clock.",
)


def _session(**overrides: object) -> SessionSettings:
    fields: dict[str, object] = {
        "session_id": f"s-{uuid.uuid4().hex[:10]}",
        "user_id": f"u-{uuid.uuid4().hex[:8]}",
        "audio_dubbing": True,
        "live_subtitles": True,
        "source_language": "en",
        "target_language": "es",
    }
    fields.update(overrides)
    return SessionSettings(**fields)  # type: ignore[arg-type]


def _frames(settings: SessionSettings, pcm: bytes, first_seq: int = 0) -> list[AudioRecord]:
    now = int(time.time() * 1000)
    return [
        AudioFrame(settings.session_id, first_seq + i, i * 100, now, chunk)
        for i, chunk in enumerate(frames(pcm))
    ]


def _finals(events: list[ResultEvent], sid: str, kind: str) -> dict[int, ResultEvent]:
    return {e.segment: e for e in events if e.session_id == sid and e.type == kind and e.final}


def _usage(cfg: settings.Settings, session: SessionSettings) -> tuple[int, int]:
    client = redis.Redis.from_url(cfg.redis_url)
    try:
        run = ScriptRunner(client)
        entry = run(Usage(cfg).ledger(session.session_id))
        status = run(Quotas(cfg).get_usage(session.user_id))
    finally:
        client.close()
    assert entry is not None
    return entry.processed_ms, status.used_ms


def test_utterances_through_the_broker_become_all_event_kinds(
    cfg: settings.Settings, flow: FlowProcess, results: ResultReader
) -> None:
    session = _session()
    pcm = utterances(*SENTENCES[:2])
    body = _frames(session, pcm)
    produce_records(
        cfg.kafka_bootstrap,
        cfg.topic_audio,
        [StartRecord(session), *body, EndRecord(session.session_id, len(body) - 1, 0)],
    )
    events = results.read_until(ended(session.session_id), 90, flow.check_running)
    sid = session.session_id
    assert set(_finals(events, sid, "transcript")) == {0, 1}
    assert "beach" in (_finals(events, sid, "transcript")[1].data or "").lower()
    subtitles = _finals(events, sid, "subtitle")
    assert set(subtitles) == {0, 1} and all(s.language == "es" for s in subtitles.values())
    assert {e.segment for e in events if e.session_id == sid and e.type == "audio"} == {0, 1}
    mine = [e for e in events if e.session_id == sid]
    assert mine[-1].status == "ended"
    # Usage: every frame streamed, charged once, to the user's day and the session's ledger.
    assert _usage(cfg, session) == (len(pcm) // 32, len(pcm) // 32)


@pytest.mark.parametrize(("snapshot_s", "workers"), [("1", "1"), ("1", "2"), ("60", "1")])
def test_killed_flow_resumes_without_losing_segments_or_charging_twice(
    cfg: settings.Settings, tmp_path: Path, results: ResultReader, snapshot_s: str, workers: str
) -> None:
    # With 60 s between snapshots the kill comes before the first one, so the
    # restart replays the whole stream: every event before the kill comes twice.
    # With 1 s, the restart reads the held audio back from the topic, on each worker.
    env = {"SNAPSHOT_INTERVAL_SECONDS": snapshot_s, "FLOW_WORKERS": workers}
    flow = FlowProcess(cfg, tmp_path / "flow.log", env)
    flow.start()
    try:
        _kill_and_resume(cfg, flow, results, replays_all=snapshot_s == "60")
    finally:
        flow.stop()


def _first_half(
    cfg: settings.Settings, flow: FlowProcess, results: ResultReader, session: SessionSettings
) -> tuple[bytes, bytes, list[AudioRecord]]:
    """Two sentences streamed and subtitled; the PCM of both halves, the second's frames."""
    first, second = utterances(*SENTENCES[:2]), utterances(*SENTENCES[2:])
    head = _frames(session, first)
    produce_records(cfg.kafka_bootstrap, cfg.topic_audio, [StartRecord(session), *head])
    sid = session.session_id
    results.read_until(lambda ev: 1 in _finals(ev, sid, "subtitle"), 90, flow.check_running)
    return first, second, _frames(session, second, first_seq=len(head))


def _kill_and_resume(
    cfg: settings.Settings, flow: FlowProcess, results: ResultReader, replays_all: bool
) -> None:
    session = _session(audio_dubbing=False)
    sid = session.session_id
    # Kill mid-stream: the first half is processed, the second not yet sent.
    first, second, tail = _first_half(cfg, flow, results, session)
    flow.kill()
    before = list(results.events)

    produce_records(cfg.kafka_bootstrap, cfg.topic_audio, [*tail, EndRecord(sid, tail[-1].seq, 0)])
    flow.start()
    events = results.read_until(ended(sid), 120, flow.check_running)

    # No segment lost: all four sentences, in order, each with its subtitle.
    transcripts = _finals(events, sid, "transcript")
    assert sorted(transcripts) == [0, 1, 2, 3]
    assert "bus" in (transcripts[3].data or "").lower()
    assert sorted(_finals(events, sid, "subtitle")) == [0, 1, 2, 3]
    # Anything produced twice (replayed after the restart) carries the same id and text.
    by_id: dict[str, ResultEvent] = {}
    for event in events:
        if event.type in ("transcript", "subtitle") and event.id in by_id:
            assert by_id[event.id].data == event.data
        by_id.setdefault(event.id, event)
    if replays_all:
        replayed = {e.id for e in events[len(before) :]}
        assert {e.id for e in before if e.type in ("transcript", "subtitle")} <= replayed
    # Usage equals the audio streamed, to the frame, though part of it was processed twice.
    streamed_ms = (len(first) + len(second)) // 32
    assert _usage(cfg, session) == (streamed_ms, streamed_ms)


def test_two_flow_processes_share_the_sessions(
    cfg: settings.Settings, tmp_path: Path, results: ResultReader
) -> None:
    addresses = f"127.0.0.1:{free_port()};127.0.0.1:{free_port()}"
    ensure_recovery_dir(cfg)  # once, before either process looks for it
    processes = [
        FlowProcess(cfg, tmp_path / f"flow-{i}.log", args=("-i", str(i), "-a", addresses))
        for i in range(2)
    ]
    for process in processes:
        process.start()
    try:
        sessions = [_session(audio_dubbing=False) for _ in range(4)]
        pcm = utterances(SENTENCES[0])
        for session in sessions:
            body = _frames(session, pcm)
            produce_records(
                cfg.kafka_bootstrap,
                cfg.topic_audio,
                [StartRecord(session), *body, EndRecord(session.session_id, len(body) - 1, 0)],
            )

        def all_ended(events: list[ResultEvent]) -> bool:
            return all(ended(s.session_id)(events) for s in sessions)

        def both_running() -> None:
            for process in processes:
                process.check_running()

        events = results.read_until(all_ended, 120, both_running)
    finally:
        for process in processes:
            process.stop()
    for session in sessions:
        assert set(_finals(events, session.session_id, "subtitle")) == {0}


def test_a_redis_outage_delays_the_charges_but_no_result_and_no_restart(
    cfg: settings.Settings, tmp_path: Path, results: ResultReader
) -> None:
    with own_redis(tmp_path / "own") as server:
        cfg = dataclasses.replace(cfg, redis_url=server.url)
        flow = FlowProcess(cfg, tmp_path / "flow.log", {"SNAPSHOT_INTERVAL_SECONDS": "1"})
        flow.start()
        try:
            _stream_through_an_outage(cfg, flow, server, results)
        finally:
            flow.stop()


def _stream_through_an_outage(
    cfg: settings.Settings, flow: FlowProcess, server: OwnRedis, results: ResultReader
) -> None:
    session = _session(audio_dubbing=False, tier="free")
    sid = session.session_id
    first, second, tail = _first_half(cfg, flow, results, session)

    server.stop()
    stopped = time.monotonic()
    produce_records(cfg.kafka_bootstrap, cfg.topic_audio, [*tail, EndRecord(sid, tail[-1].seq, 0)])
    # Every result comes while Redis is away; only `ended` waits for the last charge.
    results.read_until(lambda ev: 3 in _finals(ev, sid, "subtitle"), 120, flow.check_running)
    time.sleep(2)
    assert not ended(sid)(results.events)
    # A restart during the outage keeps the charges that wait (they are in the snapshot).
    flow.kill()
    flow.start()
    # Longer than any retry budget: the flow waits, it does not give up.
    while time.monotonic() - stopped < OUTAGE_S:
        flow.check_running()
        time.sleep(1)
    assert not ended(sid)(results.events)
    assert "usage ledger unreachable" in flow.tail(400)
    with urllib.request.urlopen(flow.metrics_url, timeout=5) as answer:
        metrics = answer.read().decode()
    assert "livedub_flow_usage_charges_waiting 0.0" not in metrics

    server.start()
    events = results.read_until(ended(sid), 60, flow.check_running)
    assert sorted(_finals(events, sid, "transcript")) == [0, 1, 2, 3]
    streamed_ms = (len(first) + len(second)) // 32
    assert _usage(cfg, session) == (streamed_ms, streamed_ms)
    flow.check_running()
