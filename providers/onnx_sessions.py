"""ONNX Runtime sessions for engines that share two cores with the rest of the flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def quiet_session(model: str | Path, threads: int = 1) -> Any:
    """A CPU session on `threads` threads that sleep, not spin, between calls.

    By default a session takes a thread per core and spins them after each call:
    on two cores that is CPU Whisper and the flow's own thread were waiting for.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )
