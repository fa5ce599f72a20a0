"""File ends for the dataflow: an audio file in, result events collected in memory out.

Used by `just dub` so that a file goes through exactly the live flow's steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.outputs import DynamicSink, StatelessSinkPartition

from wire.audio import SAMPLE_RATE, AudioFrame, AudioRecord, EndRecord, SessionSettings, StartRecord

FRAME_MS = 100


def pcm_from_float(audio: np.ndarray[Any, Any]) -> bytes:
    """float32 [-1, 1] -> PCM s16le."""
    return np.asarray(np.clip(audio, -1.0, 1.0) * 32767, dtype="<i2").tobytes()


class _PcmPartition(StatefulSourcePartition[AudioRecord, int]):
    def __init__(
        self, settings: SessionSettings, pcm: bytes, batch_frames: int, resume: int | None
    ):
        self._settings = settings
        self._pcm = pcm
        self._batch = batch_frames
        self._frame_bytes = SAMPLE_RATE * 2 * FRAME_MS // 1000
        self._frames = (len(pcm) + self._frame_bytes - 1) // self._frame_bytes
        self._next = resume if resume is not None else -1

    def next_batch(self) -> list[AudioRecord]:
        if self._next > self._frames:
            raise StopIteration
        batch: list[AudioRecord] = []
        if self._next == -1:
            batch.append(StartRecord(self._settings))
            self._next = 0
        sid = self._settings.session_id
        while self._next < self._frames and len(batch) < self._batch:
            at = self._next * self._frame_bytes
            chunk = self._pcm[at : at + self._frame_bytes]
            batch.append(AudioFrame(sid, self._next, self._next * FRAME_MS, 0, chunk))
            self._next += 1
        if self._next == self._frames:
            batch.append(EndRecord(sid, self._frames - 1, 0))
            self._next += 1
        return batch

    def snapshot(self) -> int:
        return self._next


class PcmSource(FixedPartitionedSource[AudioRecord, int]):
    """One session's PCM s16le 16 kHz mono as start, 100 ms frames and end records."""

    def __init__(self, settings: SessionSettings, pcm: bytes, batch_frames: int = 10) -> None:
        self._settings = settings
        self._pcm = pcm
        self._batch = batch_frames

    def list_parts(self) -> list[str]:
        """A single partition: a file is one session."""
        return ["file"]

    def build_part(self, step_id: str, for_part: str, resume_state: int | None) -> _PcmPartition:
        """Read from the start, or from the frame a snapshot recorded."""
        return _PcmPartition(self._settings, self._pcm, self._batch, resume_state)


class _CallbackPartition(StatelessSinkPartition[Any]):
    def __init__(self, on_items: Callable[[list[Any]], None]) -> None:
        self._on_items = on_items

    def write_batch(self, items: list[Any]) -> None:
        self._on_items(items)


class CallbackSink(DynamicSink[Any]):
    """Hands each batch of outputs to a function (single process: file mode, tools)."""

    def __init__(self, on_items: Callable[[list[Any]], None]) -> None:
        self._on_items = on_items

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _CallbackPartition:
        """Every worker calls the same function."""
        return _CallbackPartition(self._on_items)
