"""The newest snapshot's size per step, read from a Bytewax recovery store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bytewax.recovery import init_db_dir

from bench.recovery_store import newest_snapshot_bytes


def _snap(part: Path, step: str, key: str, epoch: int, size: int) -> None:
    with sqlite3.connect(part) as db:
        db.execute(
            "INSERT INTO snaps (step_id, state_key, snap_epoch, ser_change) VALUES (?, ?, ?, ?)",
            (step, key, epoch, bytes(size)),
        )


def test_the_newest_epoch_is_summed_per_step_over_the_partitions(tmp_path: Path) -> None:
    init_db_dir(tmp_path, 2)  # type: ignore[no-untyped-call]
    first, second = sorted(tmp_path.glob("part-*.sqlite3"))
    _snap(first, "flow.segment", "a", 1, 5000)  # an older epoch: not counted
    _snap(first, "flow.segment", "a", 2, 300)
    _snap(second, "flow.segment", "b", 2, 200)
    _snap(second, "flow.finish", "b", 2, 40)
    assert newest_snapshot_bytes(tmp_path) == {
        "flow.segment": {"keys": 2, "bytes": 500},
        "flow.finish": {"keys": 1, "bytes": 40},
    }
