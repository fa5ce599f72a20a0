"""`just dub INPUT --from en --to es`: the live flow's steps on a file, no servers.

Any common audio or video file is decoded and resampled to 16 kHz mono (PyAV,
through faster-whisper's decoder), streamed through `process_audio` exactly as
live audio is, and the events become files next to each other in --out:
NAME.vtt, NAME.srt, NAME.transcript.txt and NAME.dubbed.wav.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import bytewax.operators as op
import soundfile
from bytewax.dataflow import Dataflow
from bytewax.run import cli_main
from faster_whisper.audio import decode_audio
from tqdm import tqdm

import settings
from flows.concurrency import close_worker_loops
from flows.dataflow import process_audio
from flows.dub_track import build_track, collect_segments
from flows.file_io import CallbackSink, PcmSource, pcm_from_float
from flows.finish import Routed
from flows.segmenter import SegmenterConfig
from flows.speakers import SpeakerSetup
from flows.speech_steps import SpeechProviders
from flows.subtitle_files import final_cues, write_srt, write_transcript, write_vtt
from wire.audio import SAMPLE_RATE, SessionSettings
from wire.events import ResultEvent

DUB_RATE = 22050


class EventCollector:
    """Keeps the flow's events and moves the progress bar along the audio timeline."""

    def __init__(self, duration_s: float, show_progress: bool) -> None:
        self.events: list[ResultEvent] = []
        self.bar = tqdm(
            total=round(duration_s, 1), unit="s", desc="dubbing", disable=not show_progress
        )

    def add(self, items: list[Routed]) -> None:
        """Sink callback: store events; advance to the newest final cue's end."""
        for _partition, event in items:
            self.events.append(event)
            if event.final and event.end_ms is not None:
                done = min(event.end_ms / 1000.0, self.bar.total)
                if done > self.bar.n:
                    self.bar.update(round(done - self.bar.n, 1))

    def close(self) -> None:
        """Fill the bar (trailing silence has no cues) and release the terminal."""
        self.bar.update(self.bar.total - self.bar.n)
        self.bar.close()


def dub_file(
    source: Path,
    out_dir: Path,
    session: SessionSettings,
    providers: Callable[[], SpeechProviders],
    mix: bool = False,
    show_progress: bool = True,
    speakers: SpeakerSetup | None = None,
) -> dict[str, Path]:
    """Run the flow over one file; return the paths written, by kind.

    `speakers`: dub each speaker in a voice of its own (None: all in the session's).
    """
    audio = decode_audio(str(source), sampling_rate=SAMPLE_RATE)
    duration_s = len(audio) / SAMPLE_RATE
    collector = EventCollector(duration_s, show_progress)

    flow = Dataflow("dub_file")
    records = op.input("audio_file", flow, PcmSource(session, pcm_from_float(audio)))
    events = process_audio(
        "process_audio",
        records,
        providers,
        None,
        SegmenterConfig(with_usage=False, partials=False, idle_timeout_s=3600.0),
        speakers=speakers,
    )
    op.output("files", events, CallbackSink(collector.add))
    cli_main(flow)  # type: ignore[no-untyped-call]
    close_worker_loops()
    collector.close()

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = source.stem
    written: dict[str, Path] = {}
    transcript = out_dir / f"{stem}.transcript.txt"
    write_transcript(final_cues(collector.events, "transcript"), transcript)
    written["transcript"] = transcript
    if session.live_subtitles:
        cues = final_cues(collector.events, "subtitle")
        written["vtt"], written["srt"] = out_dir / f"{stem}.vtt", out_dir / f"{stem}.srt"
        write_vtt(cues, written["vtt"])
        write_srt(cues, written["srt"])
    if session.audio_dubbing:
        original = decode_audio(str(source), sampling_rate=DUB_RATE) if mix else None
        track = build_track(
            collect_segments(collector.events, DUB_RATE), DUB_RATE, duration_s, original
        )
        written["dubbed"] = out_dir / f"{stem}.dubbed.wav"
        soundfile.write(written["dubbed"], track, DUB_RATE, subtype="PCM_16")
    errors = [e for e in collector.events if e.type == "error"]
    for error in errors:
        print(f"warning: segment {error.segment}: {error.code}: {error.error}", file=sys.stderr)
    return written


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, dub the file, print what was written."""
    parser = argparse.ArgumentParser(prog="just dub", description=__doc__.split("\n")[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("--from", dest="source", default="he", help="spoken language")
    parser.add_argument("--to", dest="target", default="en", help="dubbing/subtitle language")
    parser.add_argument("--mode", choices=["subtitles", "dubbing", "both"], default="both")
    parser.add_argument(
        "--subtitles-in",
        dest="subtitle_language",
        default=None,
        help="subtitle language when it differs from --to",
    )
    parser.add_argument("--voice", default=None)
    parser.add_argument("--out", type=Path, default=Path("out"))
    parser.add_argument("--mix", action="store_true", help="lay the dub over the ducked original")
    args = parser.parse_args(argv)
    if not args.input.is_file():
        print(f"livedub: no such file: {args.input}", file=sys.stderr)
        return 2
    session = SessionSettings(
        session_id=f"file-{args.input.stem}"[:100],
        user_id="local",
        audio_dubbing=args.mode in ("dubbing", "both"),
        live_subtitles=args.mode in ("subtitles", "both"),
        source_language=args.source,
        target_language=args.target,
        subtitle_language=args.subtitle_language,
        voice=args.voice,
    )
    started = time.monotonic()
    cfg = settings.load()
    written = dub_file(
        args.input,
        args.out,
        session,
        lambda: SpeechProviders.from_settings(cfg),
        mix=args.mix,
        speakers=SpeakerSetup.from_settings(cfg),
    )
    for kind, path in written.items():
        print(f"{kind:10} {path}")
    print(f"done in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
