"""The shipped recordings replay to the same results; a changed result is caught."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import settings
from recordings.compare import Tolerances, compare
from recordings.file_format import read
from recordings.replay import recorded_events, replay

RECORDINGS = sorted((settings.ROOT / "tests" / "data" / "recordings").glob("*.jsonl.gz"))


def test_the_three_modes_ship() -> None:
    assert {p.name.split(".")[0] for p in RECORDINGS} >= {"dubbing", "subtitles", "both"}


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
def test_replay_matches_the_recording(
    path: Path, kafka_bootstrap: str, redis_url: str, tmp_path: Path
) -> None:
    recording = read(path)
    replayed = replay(recording, kafka_bootstrap, redis_url, tmp_path, timeout_s=120)
    assert compare(recorded_events(recording), replayed, Tolerances()) == []


def test_a_changed_result_is_a_difference() -> None:
    recorded = recorded_events(read(RECORDINGS[0]))
    transcript = next(e for e in recorded if e.type == "transcript" and e.final)
    ended = next(e for e in recorded if e.status == "ended")
    changed = [
        dataclasses.replace(e, data="something else entirely", end_ms=(e.end_ms or 0) + 500)
        if e is transcript
        else e
        for e in recorded
        if e is not ended
    ]
    found = {
        (d.event_id, d.what.split(":")[0].split(" ")[0])
        for d in compare(recorded, changed, Tolerances())
    }
    assert (transcript.id, "text") in found
    assert (transcript.id, "end_ms") in found
    assert (ended.id, "missing") in found
