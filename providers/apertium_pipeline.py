"""One long-running Apertium pipeline per translation direction, fed a text at a time.

`apertium -u MODE` starts a dozen processes and loads every dictionary for each
call: about 140 ms here, nearly all of it start-up. The same stages started
once in null-flush mode translate a text in a few milliseconds: a text goes in
ended by a NUL, and every stage flushes its output when it passes the NUL on.

The stages are the mode file's, as `apertium-wblank-mode -z` writes them out;
`apertium -z` itself cannot serve: its gawk wrapper waits for input past the
NUL. Plain text is put into Apertium's stream format here, as
`apertium-destxt` and `apertium-retxt` would around a one-off run.

Pipe I/O blocks, so each pipeline runs it on a thread of its own, one text
after another: callers on any event loop queue there without holding the
loop or a shared worker thread. A pipeline that dies or stalls past the
timeout is killed, and the next call starts a fresh one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import select
import signal
import subprocess
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from providers.base import ProviderError
from providers.deadlines import timeout_error
from wire.errors import ErrorCode

# What `apertium-destxt` escapes in plain text.
_SPECIAL = re.compile(r"([\\\[\]^$@/<>{}])")
# The sentence end `apertium-destxt` adds: a period that `apertium-retxt` takes
# out again, then the line end as a superblank. lt-proc's bilingual stage
# (lttoolbox 3.7) also holds back a word that ends right at the NUL.
_END = ".[][\n]"
# Back to plain text: escapes, the added period, superblanks.
_STREAM = re.compile(r"\\(.)|\.?\[\]|\[((?:\\.|[^\]\\])*)\]", re.DOTALL)
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def to_stream(text: str) -> bytes:
    """One line of plain text as one NUL-ended unit of Apertium's stream format."""
    return (_SPECIAL.sub(r"\\\1", text.replace("\0", "")) + _END).encode() + b"\0"


def from_stream(unit: bytes) -> str:
    """A unit the pipeline wrote back, as plain text (without its NUL)."""

    def plain(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1)
        return _ESCAPED.sub(r"\1", match.group(2) or "")

    return _STREAM.sub(plain, unit.decode(errors="replace"))


def stage_command(mode: str, datadir: Path) -> str:
    """The mode's stages as one shell pipeline, every stage in null-flush mode."""
    try:
        listing = subprocess.run(
            ["apertium-wblank-mode", "-z", str(datadir / "modes" / f"{mode}.mode")],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        listing = subprocess.CompletedProcess([], 127, "", "apertium-wblank-mode is not installed")
    if listing.returncode != 0 or not listing.stdout.strip():
        raise ProviderError(
            ErrorCode.PROVIDER_UNAVAILABLE,
            f"apertium mode {mode!r}: {listing.stderr.strip()[-300:]}",
            retryable=False,
        )
    return listing.stdout.strip()


class _Stages:
    """The running processes and what was read past the last answer; stoppable from anywhere."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.pending = b""

    def stop(self) -> None:
        proc, self.proc, self.pending = self.proc, None, b""
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):  # unflushed input to a dead stage
                    pipe.close()
        proc.wait()


class ModePipeline:
    """One translation direction's stages, running, answering a NUL-ended unit with another."""

    def __init__(self, mode: str, datadir: Path) -> None:
        self._mode = mode
        self._datadir = datadir
        self._what = f"apertium {mode}"
        self._stages = _Stages()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"apertium-{mode}")
        # A pipeline nobody closed stops with its owner, or at exit.
        weakref.finalize(self, self._stages.stop)

    @property
    def pid(self) -> int | None:
        """The running pipeline's process group, if one runs."""
        proc = self._stages.proc
        return proc.pid if proc and proc.poll() is None else None

    async def translate(self, texts: Sequence[str], timeout: float) -> list[str]:
        """Each one-line text through the pipeline, in order; `timeout` bounds each answer."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._translate, list(texts), timeout)

    async def aclose(self) -> None:
        """Stop the processes once the texts in hand are done; a later call starts them again."""
        await asyncio.get_running_loop().run_in_executor(self._thread, self._stages.stop)

    def _translate(self, texts: list[str], timeout: float) -> list[str]:
        try:
            return [self._answer(text, timeout) for text in texts]
        except BaseException:
            self._stages.stop()  # a half-read answer would be the next call's
            raise

    def _answer(self, text: str, timeout: float) -> str:
        proc = self._running()
        assert proc.stdin is not None and proc.stdout is not None
        sink, source = proc.stdin.fileno(), proc.stdout.fileno()
        unsent, deadline = memoryview(to_stream(text)), time.monotonic() + timeout
        # Writing and reading in turn: a long text must not fill both pipes and stall.
        while b"\0" not in self._stages.pending:
            left = deadline - time.monotonic()
            readable, writable, _ = select.select(
                [source], [sink] if unsent else [], [], max(left, 0)
            )
            if not readable and not writable:
                raise timeout_error(self._what, timeout)
            if writable:
                try:
                    unsent = unsent[os.write(sink, unsent) :]
                except BrokenPipeError:
                    raise self._died() from None
            if readable:
                chunk = os.read(source, 65536)
                if not chunk:
                    raise self._died()
                self._stages.pending += chunk
        unit, _, self._stages.pending = self._stages.pending.partition(b"\0")
        return from_stream(unit)

    def _running(self) -> subprocess.Popen[bytes]:
        proc = self._stages.proc
        if proc is None or proc.poll() is not None:
            self._stages.stop()
            proc = self._stages.proc = subprocess.Popen(
                # $1 is the generator's option (-n: no unknown-word marks), $2 the tagger's.
                ["bash", "-c", stage_command(self._mode, self._datadir), "apertium", "-n", ""],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                bufsize=0,  # written and read through the descriptors, unbuffered
                start_new_session=True,  # its own process group: a stop reaches every stage
                env={**os.environ, "LC_ALL": "C.UTF-8"},  # the stages read UTF-8 by locale
            )
            assert proc.stdin is not None
            os.set_blocking(proc.stdin.fileno(), False)
        return proc

    def _died(self) -> ProviderError:
        return ProviderError(ErrorCode.PROVIDER_UNAVAILABLE, f"{self._what} stopped")
