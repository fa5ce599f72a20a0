"""Running engine executables (apertium, espeak-ng) as asyncio subprocesses.

Subprocesses never block the event loop; a cancelled or timed-out call kills
its process and reaps it, so nothing outlives the call.

Input is fed by `_feed`, not by `Process.communicate(input)`: under uvloop (the
ingress's loop) a process that exits without reading its stdin has that pipe
closed under the writer, and communicate's write raises RuntimeError ("the handler
is closed"): concurrent voice listings answered 500. A command given no input
gets /dev/null as its stdin and no pipe at all.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Sequence

from providers.base import ProviderError
from wire.errors import ErrorCode


async def _start(argv: Sequence[str], stdin: bytes) -> asyncio.subprocess.Process:
    try:
        return await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError:
        raise ProviderError(
            ErrorCode.PROVIDER_UNAVAILABLE, f"{argv[0]} is not installed", retryable=False
        ) from None


async def _feed(proc: asyncio.subprocess.Process, data: bytes) -> None:
    """Write `data` to the process's stdin and close it; an engine that stopped reading is fine.

    An engine that died early is reported by its exit status, not here.
    """
    pipe = proc.stdin
    if pipe is None:
        return
    if not pipe.is_closing():  # uvloop closes the pipe of a process that has exited
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            pipe.write(data)
            await pipe.drain()
    pipe.close()


async def _reap(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    await proc.wait()


def _failure(argv: Sequence[str], returncode: int | None, stderr: bytes) -> ProviderError:
    detail = stderr.decode(errors="replace").strip()[-300:]
    return ProviderError(
        ErrorCode.PROVIDER_UNAVAILABLE,
        f"{argv[0]} exited with {returncode}: {detail}",
        retryable=False,
    )


async def run_command(argv: Sequence[str], stdin: bytes = b"") -> bytes:
    """Run `argv` with `stdin`, return its stdout; a non-zero exit is `provider_unavailable`."""
    proc = await _start(argv, stdin)
    try:
        _, (stdout, stderr) = await asyncio.gather(_feed(proc, stdin), proc.communicate())
    finally:
        await _reap(proc)
    if proc.returncode != 0:
        raise _failure(argv, proc.returncode, stderr)
    return stdout


async def stream_command(
    argv: Sequence[str], stdin: bytes = b"", chunk_size: int = 8192
) -> AsyncGenerator[bytes, None]:
    """Run `argv` with `stdin` and yield its stdout as it is written.

    Closing the iterator early kills the process.
    """
    proc = await _start(argv, stdin)
    assert proc.stdout is not None and proc.stderr is not None
    stderr_task = asyncio.create_task(proc.stderr.read())
    try:
        await _feed(proc, stdin)
        while chunk := await proc.stdout.read(chunk_size):
            yield chunk
        stderr = await stderr_task
        await proc.wait()
        if proc.returncode != 0:
            raise _failure(argv, proc.returncode, stderr)
    finally:
        stderr_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stderr_task
        await _reap(proc)
