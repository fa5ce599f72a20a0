"""How soon a waiting thread gets the GIL in the ingress.

Every frame and event crosses threads there: the event loop and the Kafka
producer and consumer threads. A thread that wakes while another runs Python
waits until that one blocks or its switch interval ends: 5 ms by default, far
longer than the rest of an event's trip through the ingress.

The flow keeps Python's default: its speech engines (Whisper, Piper, Apertium)
run in threads of its process, and handing the GIL away from them ten times as
often made final subtitles hundreds of milliseconds later with four speech
streams (`just bench --speech-streams 4`).
"""

from __future__ import annotations

import sys

SWITCH_INTERVAL_S = 0.0005


def quick_thread_switches() -> None:
    """Have a running thread hand the GIL over after 0.5 ms, not 5, when another waits."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
