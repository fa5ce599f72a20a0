"""`python -m bench.partial_words`: how many words partials show that a later partial replaces.

Each sentence (Piper, after the segmenter's pre-roll of silence) is cut as the
segmenter cuts partials: at `partial_first_ms`, then every `partial_interval_ms`,
starting at three phases of the speech. Whisper transcribes each cut as a
partial; a shown word is replaced when a later partial of the sentence has
another word (or none) in its place. Printed for the partials as Whisper gives
them and as the flow shows them (`flows.speech_steps.settled`: all but the word
the cut fell in), with when the first words came. Not a test: figures for
this machine's engines.
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics

import settings
from bench.speech_plan import SENTENCES
from flows.segmenter import SegmenterConfig
from flows.speech_steps import settled
from providers import registry
from providers.base import Transcript
from providers.bench import ENGLISH
from providers.speech_text import spoken
from providers.word_errors import words

PHASES_MS = (0, 150, 300)
BYTES_PER_MS = 32

Partials = list[tuple[int, list[str]]]  # (cut at ms, words shown)


async def _partials(cfg: settings.Settings) -> list[list[tuple[int, Transcript]]]:
    """Each sentence at each phase: its partials, in order, with where they were cut."""
    tts = registry.text_to_speech(dataclasses.replace(cfg, tts_provider="piper"))
    stt = registry.speech_to_text(cfg)
    segmenter = SegmenterConfig()
    runs = []
    for number, sentence in enumerate((*SENTENCES, *ENGLISH), 1):
        print(f"[{number}] {sentence}", flush=True)
        speech = b"".join([c.pcm async for c in tts.synthesize(sentence, "en", None)])
        pcm = bytes(segmenter.preroll_ms * BYTES_PER_MS) + speech
        for phase in PHASES_MS:
            cuts = range(segmenter.partial_first_ms + phase, len(pcm) // BYTES_PER_MS, 1000)
            run = []
            for cut in cuts:
                heard = await stt.transcribe(pcm[: cut * BYTES_PER_MS], "en", final=False)
                run.append((cut, spoken(heard)))
            runs.append(run)
    return runs


def _score(runs: list[Partials]) -> str:
    shown = replaced = 0
    firsts = []
    for run in runs:
        firsts.append(next((cut for cut, said in run if said), None))
        for k, (_, said) in enumerate(run):
            for i, word in enumerate(said):
                shown += 1
                later = [other for _, other in run[k + 1 :]]
                replaced += any(len(other) <= i or other[i] != word for other in later)
    came = [cut for cut in firsts if cut is not None]
    first = statistics.median(came) if came else float("nan")
    share = replaced / shown if shown else 0.0
    return (
        f"{replaced} of {shown} words shown later replaced ({share:.1%}); "
        f"first words in the cut at p50 {first:.0f} ms"
    )


def main() -> None:
    """Transcribe the cuts once, then score them as given and as the flow shows them."""
    runs = asyncio.run(_partials(settings.load()))
    as_given = [[(cut, words(t.text)) for cut, t in run] for run in runs]
    as_shown = [[(cut, words(settled(t).text)) for cut, t in run] for run in runs]
    print(f"as Whisper gives them: {_score(as_given)}")
    print(f"as the flow shows them (settled): {_score(as_shown)}")


if __name__ == "__main__":
    main()
