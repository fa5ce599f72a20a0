"""`python -m standins --clips DIR --env-file FILE`: the three cloud stand-ins in one process.

For benches and manual runs: the AssemblyAI stand-in hears the clips saved in
DIR (`Hearing.save`); the settings that point a flow at the stand-ins are
written to FILE as JSON once they listen; SIGTERM stops them. Latencies are
the providers' published figures unless `--no-latency`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from pathlib import Path

from standins import assemblyai, elevenlabs
from standins.cloud import CloudStandins, Latencies
from standins.hearing import Hearing


async def serve(clips: Path, env_file: Path, latencies: Latencies) -> None:
    """Run until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with CloudStandins(Hearing.load(clips), latencies) as standins:
        env_file.write_text(json.dumps(standins.env()))
        print(f"stand-ins listening: {json.dumps(standins.env())}", flush=True)
        await stop.wait()
        usage = {
            "stt_billed_seconds": round(standins.stt.billed_seconds, 1),
            "stt_sessions": len(standins.stt.sessions),
            "translation_billed_characters": standins.billing.characters,
            "tts_billed_characters": standins.speech.billed_characters,
            "tts_most_at_once": standins.speech.most_at_once,
        }
        env_file.with_suffix(".usage.json").write_text(json.dumps(usage))


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m standins", description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=Path, required=True, help="clips saved by Hearing.save")
    parser.add_argument("--env-file", type=Path, required=True, help="where to write the settings")
    parser.add_argument("--no-latency", action="store_true", help="answer at once")
    args = parser.parse_args()
    latencies = Latencies()
    if args.no_latency:
        latencies = Latencies(
            assemblyai.Latency(word_ms=0, final_ms=0, format_ms=0),
            0.0,
            elevenlabs.Latency(first_chunk_ms=0, speed=0),
        )
    asyncio.run(serve(args.clips, args.env_file, latencies))


if __name__ == "__main__":
    main()
