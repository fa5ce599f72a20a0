"""What the flow's newest snapshot wrote to its recovery store, per step.

Bytewax writes each epoch's changed state to SQLite on the worker's own thread,
so a snapshot's size is time the worker is not moving events.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

NEWEST = """
    SELECT step_id, COUNT(*), SUM(LENGTH(ser_change)) FROM snaps
    WHERE snap_epoch = (SELECT MAX(snap_epoch) FROM snaps)
    GROUP BY step_id
"""


def newest_snapshot_bytes(recovery_dir: Path) -> dict[str, dict[str, int]]:
    """Per step of the newest snapshot (summed over the store's partitions): keys and bytes."""
    steps: dict[str, dict[str, int]] = {}
    for part in sorted(recovery_dir.glob("part-*.sqlite3")):
        with closing(sqlite3.connect(f"file:{part}?mode=ro", uri=True, timeout=5)) as db:
            for step, keys, size in db.execute(NEWEST):
                entry = steps.setdefault(step, {"keys": 0, "bytes": 0})
                entry["keys"] += keys
                entry["bytes"] += size or 0
    return steps
