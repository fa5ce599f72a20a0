"""`just replay FILE`: publish a recording into fresh topics, run the flow, compare the results.

Uses its own throwaway Kafka broker and Redis (so quotas and usage of the live
stack are untouched), or the ones named by LIVEDUB_REPLAY_KAFKA_BOOTSTRAP and
LIVEDUB_REPLAY_REDIS_URL. Exits non-zero when a result differs beyond the
tolerances (see `recordings.compare`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from devstack.ephemeral import kafka_broker, redis_server
from devstack.flow_process import FlowProcess
from devstack.kafka import isolated_settings
from devstack.kafka_io import ResultReader
from recordings.compare import Difference, Tolerances, compare
from recordings.file_format import Recording, RecordingError, read
from wire import audio
from wire.events import ResultEvent, from_json


@contextmanager
def replay_stack(workdir: Path) -> Iterator[tuple[str, str]]:
    """The broker and Redis to replay on: given by the environment, or throwaway ones."""
    with ExitStack() as stack:
        bootstrap = os.environ.get("LIVEDUB_REPLAY_KAFKA_BOOTSTRAP") or stack.enter_context(
            kafka_broker(workdir / "kafka")
        )
        redis_url = os.environ.get("LIVEDUB_REPLAY_REDIS_URL") or stack.enter_context(
            redis_server(workdir / "redis")
        )
        yield bootstrap, redis_url


def replay(
    recording: Recording, bootstrap: str, redis_url: str, workdir: Path, timeout_s: float = 300.0
) -> list[ResultEvent]:
    """Run the recording's audio through a fresh flow; return the events it produces."""
    from devstack.kafka_io import produce_records

    cfg = isolated_settings(
        bootstrap, redis_url, "replay", workdir / f"recovery-{uuid.uuid4().hex[:8]}"
    )
    records = [audio.decode(m.value) for m in recording.stream("audio")]
    reader = ResultReader(bootstrap, cfg.topic_results)
    flow = FlowProcess(cfg, Path(cfg.recovery_dir).with_suffix(".log"))
    flow.start()
    try:
        produce_records(bootstrap, cfg.topic_audio, records)
        sessions = set(recording.sessions)
        return reader.read_until(
            lambda events: sessions <= {e.session_id for e in events if e.status == "ended"},
            timeout_s,
            flow.check_running,
        )
    finally:
        flow.stop()
        reader.close()


def recorded_events(recording: Recording) -> list[ResultEvent]:
    """The result events the recording holds."""
    return [from_json(m.value) for m in recording.stream("results")]


def check(path: Path, tolerances: Tolerances, workdir: Path) -> list[Difference]:
    """Replay the file on a replay stack; the differences from its recorded events."""
    recording = read(path)
    with replay_stack(workdir) as (bootstrap, redis_url):
        replayed = replay(recording, bootstrap, redis_url, workdir)
    return compare(recorded_events(recording), replayed, tolerances)


def main(argv: list[str] | None = None) -> int:
    """Replay each file given; print differences; exit 1 if any."""
    parser = argparse.ArgumentParser(prog="just replay", description=__doc__.split("\n")[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--timing-ms", type=int, default=Tolerances.timing_ms)
    parser.add_argument("--text-similarity", type=float, default=Tolerances.text_similarity)
    args = parser.parse_args(argv)
    tolerances = Tolerances(timing_ms=args.timing_ms, text_similarity=args.text_similarity)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="livedub-replay-") as tmp:
        for path in args.files:
            print(f"replaying {path} ...", flush=True)
            try:
                diffs = check(path, tolerances, Path(tmp))
            except RecordingError as exc:
                print(f"livedub: {exc}", file=sys.stderr)
                return 2
            for diff in diffs:
                print(f"  differs: {diff}")
            print(f"  {'OK' if not diffs else f'{len(diffs)} differences'}")
            failed += bool(diffs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
