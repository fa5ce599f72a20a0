"""`just bench-providers`: load time and real-time factor of each offline provider, here.

Test speech is made on the spot (Piper without noise, so every run hears the
same English; espeak-ng for Spanish and Hebrew; Kokoro-82M for Spanish too). The
real-time factor (RTF) is processing time over audio time: below 1 keeps up with
live speech. The two Spanish voices are also judged by ear: Whisper base
transcribes each one's sentences and the word error rate (WER) against the text
is in the note. Not a test: it prints figures for this machine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from providers.apertium_translate import ApertiumTranslator
from providers.base import SpeechChunk, TextToSpeech, Transcript
from providers.espeak_tts import EspeakTextToSpeech
from providers.kokoro_tts import KokoroTextToSpeech
from providers.pcm import duration_seconds
from providers.piper_tts import PiperTextToSpeech
from providers.whisper_stt import WhisperSpeechToText
from providers.word_errors import word_errors, words

ENGLISH = (
    "Our correspondent reports that the talks will continue next week.",
    "Traffic is heavy on the main road into the city this morning.",
    "The museum will open a new exhibition about ancient trade routes.",
    "Fans waited for hours outside the stadium before the final match.",
    "A strong wind is expected along the coast later tonight.",
    "The minister said that the new plan would help small businesses.",
)
SPANISH = (
    "Buenas noches y bienvenidos a las noticias.",
    "Mañana hará calor en todo el país.",
    "El gato negro duerme en la casa.",
    "El presidente visitará la ciudad el próximo lunes.",
    "Los niños juegan en el parque después de la escuela.",
    "La tienda cierra a las ocho de la noche.",
)
HEBREW = ("ערב טוב וברוכים הבאים לחדשות", "מחר יהיה חם בכל הארץ")
RATE = 16000


@dataclass
class Row:
    """One line of the report."""

    what: str
    load_s: float | None
    audio_s: float
    busy_s: float
    note: str = ""

    @property
    def rtf(self) -> float:
        """Processing time over audio time."""
        return self.busy_s / self.audio_s if self.audio_s else 0.0


def _step(number: int, total: int, text: str) -> None:
    print(f"[{number}/{total}] {text}", flush=True)


async def _timed(load: Callable[[], object]) -> float:
    started = time.perf_counter()
    await asyncio.to_thread(load)
    return time.perf_counter() - started


async def _speak(chunks: AsyncIterator[SpeechChunk]) -> tuple[bytes, float]:
    started = time.perf_counter()
    pcm = b"".join([chunk.pcm async for chunk in chunks])
    return pcm, time.perf_counter() - started


async def _speak_all(
    tts: TextToSpeech, sentences: tuple[str, ...], language: str
) -> tuple[dict[str, bytes], float]:
    """Each sentence's speech, and the seconds spent making it all."""
    spoken: dict[str, bytes] = {}
    busy = 0.0
    for sentence in sentences:
        spoken[sentence], spent = await _speak(tts.synthesize(sentence, language, None))
        busy += spent
    return spoken, busy


async def run() -> list[Row]:
    """Measure every offline provider, printing progress."""
    rows: list[Row] = []
    steps = 10
    piper = PiperTextToSpeech(sample_rate=RATE, noise_scale=0.0, noise_w_scale=0.0)
    espeak = EspeakTextToSpeech(sample_rate=RATE)
    whisper = WhisperSpeechToText(("en", "es", "he"))

    _step(1, steps, "piper: loading en_US joe, speaking English")
    load = await _timed(lambda: piper.load(piper.choose("en", None)))
    english, busy = await _speak_all(piper, ENGLISH, "en")
    audio = sum(duration_seconds(pcm, RATE) for pcm in english.values())
    rows.append(Row("piper tts (en, joe)", load, audio, busy))

    _step(2, steps, "espeak-ng: speaking Spanish and Hebrew")
    spoken: dict[tuple[str, str], bytes] = {}
    busy = 0.0
    for language, sentences in (("es", SPANISH), ("he", HEBREW)):
        for sentence in sentences:
            spoken[language, sentence], spent = await _speak(
                espeak.synthesize(sentence, language, None)
            )
            busy += spent
    audio = sum(duration_seconds(pcm, RATE) for pcm in spoken.values())
    rows.append(Row("espeak-ng tts (es, he)", None, audio, busy))

    _step(3, steps, "whisper tiny.en: loading, transcribing Piper's English (final)")
    load = await _timed(lambda: whisper.model_for("en"))
    audio = sum(duration_seconds(pcm, RATE) for pcm in english.values())
    started = time.perf_counter()
    short = [(await whisper.transcribe(pcm, "en")).text for pcm in english.values()]
    busy = time.perf_counter() - started
    rows.append(Row("whisper tiny.en stt, final", load, audio, busy, _wer(ENGLISH, short)))

    _step(4, steps, "whisper tiny.en: the same over the full 30 s window (WINDOW_PAD 0)")
    full_window = WhisperSpeechToText(("en",), window_pad_s=0)
    await _timed(lambda: full_window.model_for("en"))
    started = time.perf_counter()
    full = [(await full_window.transcribe(pcm, "en")).text for pcm in english.values()]
    same = sum(words(a) == words(b) for a, b in zip(short, full, strict=True))
    note = f"{_wer(ENGLISH, full)}; same words as the 5 s margin in {same} of {len(full)}"
    rows.append(
        Row("whisper tiny.en, full window", None, audio, time.perf_counter() - started, note)
    )

    _step(5, steps, "whisper tiny.en: partials (no word timings)")
    started = time.perf_counter()
    for pcm in english.values():
        await whisper.transcribe(pcm, "en", final=False)
    rows.append(Row("whisper tiny.en stt, partial", None, audio, time.perf_counter() - started))

    _step(6, steps, "whisper tiny.en: the six in one batch, as the flow's queue hands them over")
    started = time.perf_counter()
    batch = await whisper.transcribe_many([(pcm, "en", True) for pcm in english.values()])
    busy = time.perf_counter() - started
    batched = [heard.text if isinstance(heard, Transcript) else "" for heard in batch]
    same = sum(words(a) == words(b) for a, b in zip(short, batched, strict=True))
    note = f"{_wer(ENGLISH, batched)}; same words as one at a time in {same} of {len(batched)}"
    rows.append(Row("whisper tiny.en, one batch of 6", None, audio, busy, note))

    _step(7, steps, "whisper base: loading, transcribing espeak-ng Spanish and Hebrew")
    load = await _timed(lambda: whisper.model_for("es"))
    started = time.perf_counter()
    for (language, _), pcm in spoken.items():
        await whisper.transcribe(pcm, language)
    audio = sum(duration_seconds(pcm, RATE) for pcm in spoken.values())
    rows.append(Row("whisper base stt (es, he)", load, audio, time.perf_counter() - started))

    _step(8, steps, "kokoro: loading Kokoro-82M, speaking Spanish")
    kokoro = KokoroTextToSpeech(sample_rate=RATE, cpu_threads=2)
    load = await _timed(kokoro.load)
    by_kokoro, busy = await _speak_all(kokoro, SPANISH, "es")
    audio = sum(duration_seconds(pcm, RATE) for pcm in by_kokoro.values())
    piper_rtf = rows[0].rtf
    kokoro_row = Row("kokoro tts (es, 2 threads)", load, audio, busy)
    kokoro_row.note = f"{kokoro_row.rtf / piper_rtf:.1f}x Piper's RTF in this run"
    rows.append(kokoro_row)

    _step(9, steps, "whisper base: Spanish of espeak-ng and of Kokoro, word error rates")
    by_espeak = {sentence: spoken["es", sentence] for sentence in SPANISH}
    for what, voice in (("espeak-ng", by_espeak), ("kokoro", by_kokoro)):
        rows.append(await _heard(whisper, what, voice))

    _step(10, steps, "apertium: English to Spanish, one batch")
    apertium = ApertiumTranslator()
    started = time.perf_counter()
    await apertium.translate(list(ENGLISH), "en", "es")
    spent = time.perf_counter() - started
    rows.append(Row("apertium en->es", None, 0.0, spent, f"{len(ENGLISH)} texts in {spent:.3f}s"))
    return rows


async def _heard(whisper: WhisperSpeechToText, what: str, spoken: dict[str, bytes]) -> Row:
    """Whisper base's transcripts of one voice's Spanish: WER over all its words."""
    started = time.perf_counter()
    heard = [(await whisper.transcribe(pcm, "es")).text for pcm in spoken.values()]
    audio = sum(duration_seconds(pcm, RATE) for pcm in spoken.values())
    busy = time.perf_counter() - started
    return Row(f"{what} es, whisper heard", None, audio, busy, _wer(list(spoken), heard))


def _wer(said: Sequence[str], heard: Sequence[str]) -> str:
    """Word error rate over all the sentences, as the report's note says it."""
    errors = sum(word_errors(a, b) for a, b in zip(said, heard, strict=True))
    total = sum(len(words(sentence)) for sentence in said)
    return f"WER {errors / total:.1%} ({errors} of {total} words)"


def report(rows: list[Row]) -> str:
    """The table printed at the end."""
    lines = [f"{'provider':32} {'load s':>7} {'audio s':>8} {'busy s':>7} {'RTF':>6}  note"]
    for row in rows:
        load = f"{row.load_s:7.2f}" if row.load_s is not None else f"{'-':>7}"
        rtf = f"{row.rtf:6.3f}" if row.audio_s else f"{'-':>6}"
        audio = f"{row.audio_s:8.1f}" if row.audio_s else f"{'-':>8}"
        lines.append(f"{row.what:32} {load} {audio} {row.busy_s:7.2f} {rtf}  {row.note}")
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark and print the table."""
    print(report(asyncio.run(run())))


if __name__ == "__main__":
    main()
