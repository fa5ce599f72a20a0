"""A Hebrew news programme that tests and benches stream through the cloud stand-ins.

Each line is said in Hebrew (one in English, as Israeli TV often does) and
comes with its English and Spanish translations: the DeepL stand-in
translates exactly these, and the AssemblyAI stand-in hears the audio made
here because it is registered with it (`register`). The audio is espeak-ng's
(deterministic for a given text and voice), resampled to 16 kHz; `music`
is a stretch of synthetic music, which whisper-rt names with a tag.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import wave
from dataclasses import dataclass

import numpy as np
import soxr

from standins.hearing import Hearing

RATE = 16000


@dataclass(frozen=True)
class Line:
    """A line of the programme, the language it is spoken in, and its translations."""

    said: str
    language: str
    en: str
    es: str


LINES = (
    Line(
        "ערב טוב וברוכים הבאים למהדורת החדשות.",
        "he",
        "Good evening and welcome to the news.",
        "Buenas noches y bienvenidos al noticiero.",
    ),
    Line(
        "מזג האוויר מחר יהיה חם ושמשי ברוב הארץ.",
        "he",
        "Tomorrow the weather will be warm and sunny in most of the country.",
        "Mañana el tiempo será cálido y soleado en la mayor parte del país.",
    ),
    Line(
        "הממשלה התכנסה הבוקר לישיבה מיוחדת.",
        "he",
        "The government met this morning for a special session.",
        "El gobierno se reunió esta mañana en una sesión especial.",
    ),
    Line(
        "Breaking news from Tel Aviv.",
        "en",
        "Breaking news from Tel Aviv.",
        "Última hora desde Tel Aviv.",
    ),
    Line(
        "הקבוצה ניצחה אתמול במשחק הגמר.",
        "he",
        "The team won the final yesterday.",
        "El equipo ganó ayer la final.",
    ),
    Line(
        "התנועה בכבישים כבדה מאוד הערב.",
        "he",
        "Traffic on the roads is very heavy this evening.",
        "El tráfico en las carreteras es muy denso esta noche.",
    ),
    Line(
        "תודה רבה שצפיתם, נתראה מחר.",
        "he",
        "Thank you very much for watching, see you tomorrow.",
        "Muchas gracias por su atención, hasta mañana.",
    ),
)
MUSIC_TAG = "[Music]"


@functools.cache
def speak(text: str, language: str) -> bytes:
    """PCM s16le 16 kHz mono of espeak-ng saying `text` (deterministic)."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("espeak-ng is needed to speak the programme: apt-get install espeak-ng")
    wav = subprocess.run(
        [espeak, "-v", language, "--stdout"], input=text.encode(), capture_output=True, check=True
    ).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        rate = reader.getframerate()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    resampled = soxr.resample(samples.astype(np.float32) / 32768.0, rate, RATE)
    return np.asarray(np.clip(resampled, -1, 1) * 32767, dtype="<i2").tobytes()


def music(seconds: float) -> bytes:
    """A chord that swells and fades in beats: music, not speech."""
    t = np.arange(int(seconds * RATE)) / RATE
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6, 440.0)) / 4
    beat = 0.6 + 0.4 * np.sin(2 * np.pi * 2.0 * t)
    return np.asarray(chord * beat * 0.5 * 32767, dtype="<i2").tobytes()


def silence(ms: int) -> bytes:
    """Digital silence."""
    return bytes(RATE * 2 * ms // 1000)


def register(hearing: Hearing, music_seconds: float = 0.0) -> None:
    """Make the stand-in hear every line (and a stretch of music, when there is one)."""
    for line in LINES:
        # Said by espeak-ng's voice for the language: a diarizing provider labels that voice.
        voice = f"espeak-ng {line.language}"
        hearing.register(speak(line.said, line.language), line.said, line.language, speaker=voice)
    if music_seconds:
        hearing.register(music(music_seconds), MUSIC_TAG, "en", speech=False)


def translation(text: str, target: str) -> str | None:
    """The programme's translation of a line into `target` (en or es), if it is one."""
    language = target.lower()[:2]
    for line in LINES:
        if line.said == text and language in ("en", "es"):
            return line.en if language == "en" else line.es
    return None
