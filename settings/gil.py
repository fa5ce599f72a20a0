"""How soon a waiting thread gets the GIL, in the long-running processes (the ingress and the flow).

Every frame and event crosses threads in both: the ingress's event loop and
its Kafka producer and consumer threads; the flow's Bytewax worker and its
provider loop. A thread that wakes while another runs Python waits until that
one blocks or its switch interval ends: 5 ms by default, far longer than the
rest of an event's trip. On two shared cores those waits were much of the
pipeline's tail, and at 500 streams they were lag (`just bench`).
"""

from __future__ import annotations

import sys

SWITCH_INTERVAL_S = 0.0005


def quick_thread_switches() -> None:
    """Ask the running thread to hand the GIL over after 0.5 ms, not 5, when another waits."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
