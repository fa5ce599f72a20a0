"""`python -m recordings.samples OUT_DIR`: make the shipped sample recordings.

Three sessions of generated English speech (Piper), one per mode (dubbing,
subtitles, both), streamed through a throwaway stack while `record` captures
them. Run again after a deliberate change of the flow's output, and review the
diff of what `just replay` then reports.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import threading
import time
from pathlib import Path

import settings
from devstack.flow_process import FlowProcess
from devstack.kafka import isolated_settings
from devstack.kafka_io import produce_records
from providers import registry
from recordings.file_format import RecordedMessage, write
from recordings.record import record
from recordings.replay import replay_stack
from wire.audio import AudioFrame, AudioRecord, EndRecord, SessionSettings, StartRecord

SENTENCES = ("Good evening, here is the news.", "Tomorrow will be warm and sunny.")
MODES = {"dubbing": (True, False), "subtitles": (False, True), "both": (True, True)}
FRAME_BYTES = 3200


def speech(cfg: settings.Settings) -> bytes:
    """The sentences spoken by the offline voice, 16 kHz, with silence around each."""
    tts = registry.text_to_speech(dataclasses.replace(cfg, tts_sample_rate=16000))

    async def say(text: str) -> bytes:
        return b"".join([c.pcm async for c in tts.synthesize(text, "en", None)])

    gap = bytes(16000 * 2)  # one second
    return gap + b"".join([asyncio.run(say(s)) + gap for s in SENTENCES])


def session_records(mode: str, pcm: bytes) -> list[AudioRecord]:
    """A whole session: start, 100 ms frames, end."""
    dubbing, subtitles = MODES[mode]
    sid = f"sample-{mode}"
    start = StartRecord(
        SessionSettings(
            session_id=sid,
            user_id="sample-user",
            tier="premium",
            audio_dubbing=dubbing,
            live_subtitles=subtitles,
            source_language="en",
            target_language="es",
        )
    )
    frames = [
        AudioFrame(sid, i, i * 100, 0, pcm[at : at + FRAME_BYTES])
        for i, at in enumerate(range(0, len(pcm), FRAME_BYTES))
    ]
    return [start, *frames, EndRecord(sid, len(frames) - 1, 0)]


def make(out_dir: Path, workdir: Path) -> list[Path]:
    """Record each mode's session into OUT_DIR/<mode>.jsonl.gz."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with replay_stack(workdir) as (bootstrap, redis_url):
        cfg = isolated_settings(bootstrap, redis_url, "samples", workdir / "recovery")
        pcm = speech(cfg)
        flow = FlowProcess(cfg, workdir / "flow.log")
        flow.start()
        try:
            for mode in MODES:
                captured: list[tuple[set[str], list[RecordedMessage]]] = []
                recorder = threading.Thread(
                    target=lambda out=captured: out.append(record(cfg, 120))
                )
                recorder.start()
                time.sleep(2)  # the recorder reads from the end: let it get there first
                produce_records(bootstrap, cfg.topic_audio, session_records(mode, pcm))
                recorder.join()
                sessions, messages = captured[0]
                path = out_dir / f"{mode}.jsonl.gz"
                write(path, sessions, messages)
                written.append(path)
                print(f"wrote {path}: {len(messages)} messages")
        finally:
            flow.stop()
    return written


def main() -> int:
    """Make the samples in the directory given."""
    parser = argparse.ArgumentParser(prog="python -m recordings.samples")
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="livedub-samples-") as tmp:
        make(args.out_dir, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
