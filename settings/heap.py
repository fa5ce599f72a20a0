"""Garbage-collector settings for the long-running processes (the ingress and the flow).

Python's full collections walk every tracked object, and a started process
holds tens of thousands (modules, the app, the dataflow, provider clients)
that live as long as it does; a collection under load stalls every frame and
event in flight for tens of milliseconds. Freezing them once start-up is over
keeps full collections to what was made since.
"""

from __future__ import annotations

import gc

# Young collections less often: frames and events come and go in thousands a second.
YOUNG_THRESHOLD = 5000


def freeze_startup_objects() -> None:
    """Collect once, then leave everything alive now out of later collections."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
