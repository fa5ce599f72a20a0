"""`python -m flows [-i ID -a ADDRS]`: the live flow under `bytewax.run`, with recovery.

Initialises the recovery directory on first start, takes the CPU priority
FLOW_NICE asks for and one BLAS thread, then hands over to `python -m bytewax.run` with the
snapshot and backup intervals and the worker count from configuration. Extra
arguments (`-i`/`-a` for multi-process clusters) pass through.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

from bytewax.recovery import init_db_dir

import settings
from flows.metrics import PROCESS_ID_ENV


def bytewax_argv(cfg: settings.Settings, extra: list[str]) -> list[str]:
    """The `bytewax.run` command line for the live flow."""
    return [
        sys.executable,
        "-m",
        "bytewax.run",
        "flows.live:build_live_flow()",
        "-r",
        cfg.recovery_dir,
        # bytewax.run takes whole seconds.
        "-s",
        str(max(1, math.ceil(cfg.snapshot_interval_seconds))),
        "-b",
        str(math.ceil(cfg.backup_interval_seconds)),
        "-w",
        str(cfg.flow_workers),
        *extra,
    ]


def ensure_recovery_dir(cfg: settings.Settings) -> None:
    """Create the recovery partitions once; later starts resume from them."""
    directory = Path(cfg.recovery_dir)
    if not any(directory.glob("part-*.sqlite3")):
        directory.mkdir(parents=True, exist_ok=True)
        init_db_dir(directory, cfg.recovery_partitions)  # type: ignore[no-untyped-call]


def take_priority(nice: int) -> int:
    """Run at `nice` (threads started later inherit it); the nice value in effect.

    A higher priority (below the current value) needs CAP_SYS_NICE: without it
    the flow warns and runs as it is.
    """
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if nice == current:
        return current
    try:
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    except PermissionError:
        print(
            f"flow: cannot set nice {nice} (needs CAP_SYS_NICE); running at {current}, "
            "so on shared cores the flow is the first to fall behind",
            file=sys.stderr,
            flush=True,
        )
    return os.getpriority(os.PRIO_PROCESS, 0)


def process_id(extra: list[str]) -> int:
    """The process's number in a `-i N -a ...` cluster (0 on its own)."""
    for flag in ("-i", "--process-id"):
        if flag in extra[:-1]:
            return int(extra[extra.index(flag) + 1])
    return 0


def main() -> None:
    """Prepare recovery and become the Bytewax runner (same pid, so stop signals reach it)."""
    cfg = settings.load()
    ensure_recovery_dir(cfg)
    take_priority(cfg.flow_nice)
    os.environ[PROCESS_ID_ENV] = str(process_id(sys.argv[1:]))
    # The flow's parallelism is its own threads (Whisper's, the provider loop's):
    # numpy's BLAS threads only spin against them (Whisper's log-mel matmul, with
    # both cores busy, ran several times slower on two threads than on one).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    argv = bytewax_argv(cfg, sys.argv[1:])
    print("starting flow:", " ".join(argv[1:]), flush=True)
    os.execv(sys.executable, argv)


if __name__ == "__main__":
    main()
