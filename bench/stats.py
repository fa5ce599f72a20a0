"""Percentiles and per-process resource readings (from /proc: no extra dependency)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def percentiles(values: Sequence[float], points: Sequence[int] = (50, 95, 99)) -> dict[str, float]:
    """{"p50": ..., "p95": ..., "p99": ..., "n": count} (NaN when empty)."""
    if not values:
        return {**{f"p{p}": float("nan") for p in points}, "n": 0}
    found = np.percentile(np.asarray(values, dtype=float), points)
    return {
        **{f"p{p}": round(float(v), 3) for p, v in zip(points, found, strict=True)},
        "n": len(values),
    }


@dataclass(frozen=True)
class ProcessSample:
    """CPU seconds used so far and resident memory of one process (with its children)."""

    cpu_s: float
    rss_mb: float


def sample(pid: int) -> ProcessSample:
    """Read /proc for the process and its direct children (the flow's exec, Java's threads)."""
    pids = [pid, *_children(pid)]
    cpu = rss = 0.0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            rss += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE_SIZE / 2**20
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return ProcessSample(cpu, rss)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def cpu_percent(before: ProcessSample, after: ProcessSample, seconds: float) -> float:
    """Average CPU use between two samples, in % of one core."""
    return round(100.0 * (after.cpu_s - before.cpu_s) / max(seconds, 1e-9), 1)
