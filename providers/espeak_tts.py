"""Offline text-to-speech: espeak-ng (formant synthesis, Debian package) as a subprocess.

Speaks Spanish and Hebrew where no Piper voice does. Text goes in on stdin
(never as an argument), WAV comes out on stdout and is streamed as it is
written; the voices are whatever `espeak-ng --voices=LANG` lists (MBROLA
voices only where the mbrola program is installed). Each language's first voice
also comes in a few variants of distinct timbre (`espeak:es+f3`: espeak-ng's
`-v es+f3`), so that a programme's speakers can each have a voice of their own:
dialect voices of a language (en-gb, en-us) share one timbre.
"""

from __future__ import annotations

import io
import shutil
import wave
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass

from providers.base import ProviderError, SpeechChunk, Voice
from providers.commands import run_command, stream_command
from providers.deadlines import stream_within, within
from providers.pcm import resampled_chunks
from wire.errors import ErrorCode

_GENDERS = {"M": "male", "F": "female"}
# Variants (espeak-ng's `!v/` files) that sound least alike, to each other and to the
# plain voice, by the speaker embedder (`python -m providers.speaker_bench`).
VARIANTS = {"f3": "female", "m7": "male", "klatt": "male", "f1": "female"}


@dataclass(frozen=True)
class EspeakVoice:
    """One line of `espeak-ng --voices`."""

    language: str  # what `-v` takes: es, es-419, he
    name: str
    gender: str | None
    mbrola: bool


def parse_voices(listing: str) -> list[EspeakVoice]:
    """Parse `espeak-ng --voices[=LANG]` (header line, then one voice per line)."""
    voices = []
    for line in listing.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 5:
            continue
        _, language, age_gender, name, file = fields[:5]
        if file.startswith("!v/"):
            continue  # a variant (pitch, timbre) to add to a voice, not a voice
        gender = _GENDERS.get(age_gender.rpartition("/")[2])
        voices.append(EspeakVoice(language, name.replace("_", " "), gender, file.startswith("mb/")))
    return voices


def _wav_format(header: bytes) -> tuple[int, int]:
    """(sample rate, offset of the samples) of a mono s16le WAV stream's header."""
    with wave.open(io.BytesIO(header)) as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ProviderError(
                ErrorCode.PROVIDER_UNAVAILABLE, "espeak-ng wrote an unexpected WAV format"
            )
        rate = wav.getframerate()
    return rate, header.index(b"data") + 8


class EspeakTextToSpeech:
    """espeak-ng voices for any language it lists."""

    name = "espeak"
    # RIFF + fmt + data headers as espeak-ng writes them.
    HEADER_BYTES = 44

    def __init__(
        self, *, sample_rate: int = 16000, timeout: float = 20.0, binary: str = "espeak-ng"
    ) -> None:
        self._sample_rate = sample_rate
        self._timeout = timeout
        self._binary = binary
        self._mbrola = shutil.which("mbrola") is not None
        self._listed: dict[str | None, list[EspeakVoice]] = {}

    async def _voices(self, language: str | None) -> list[EspeakVoice]:
        if language not in self._listed:
            option = "--voices" if language is None else f"--voices={language}"
            listing = await within(
                run_command([self._binary, option]), self._timeout, "espeak-ng voices"
            )
            usable = [v for v in parse_voices(listing.decode()) if self._mbrola or not v.mbrola]
            self._listed[language] = usable
        return self._listed[language]

    async def voices(self, language: str | None = None) -> list[Voice]:
        """espeak-ng's voices for `language` (then its first voice's variants), or all of them."""
        listed = await self._voices(language)
        voices = [
            Voice(f"espeak:{v.language}", v.name, language or v.language, v.gender, "espeak")
            for v in listed
        ]
        if language is not None and listed:
            first = listed[0]
            voices += [
                Voice(
                    f"espeak:{first.language}+{variant}",
                    f"{first.name} ({variant})",
                    language,
                    gender,
                    "espeak",
                )
                for variant, gender in VARIANTS.items()
            ]
        return voices

    async def choose(self, language: str, voice: str | None) -> str:
        """The `-v` argument: the named voice if it speaks `language`, else the language's first."""
        speaking = await self._voices(language)
        if not speaking:
            raise ProviderError(
                ErrorCode.LANGUAGE_UNSUPPORTED, f"espeak-ng has no voice for {language!r}"
            )
        named, _, variant = (voice or "").removeprefix("espeak:").partition("+")
        base = next((v.language for v in speaking if v.language == named), speaking[0].language)
        return f"{base}+{variant}" if variant in VARIANTS else base

    def synthesize(self, text: str, language: str, voice: str | None) -> AsyncIterator[SpeechChunk]:
        """Stream espeak-ng's speech; each chunk waits at most the timeout."""
        return stream_within(
            self._speak(text, language, voice), self._timeout, "espeak-ng synthesis"
        )

    async def _speak(
        self, text: str, language: str, voice: str | None
    ) -> AsyncGenerator[SpeechChunk, None]:
        argv = [self._binary, "-v", await self.choose(language, voice), "-b", "1", "--stdout"]
        async with aclosing(stream_command(argv, text.encode())) as output:
            header = b""
            async for data in output:
                header += data
                if len(header) >= self.HEADER_BYTES:
                    break
            if len(header) < self.HEADER_BYTES:
                return  # nothing to say (empty text)
            rate, offset = _wav_format(header)

            async def samples() -> AsyncIterator[bytes]:
                yield header[offset:]
                async for data in output:
                    yield data

            async for chunk in resampled_chunks(samples(), rate, self._sample_rate):
                yield chunk
