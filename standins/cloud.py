"""The three cloud stand-ins together, and the settings that point the flow at them.

Tests start them in their own event loop; benches in a process of their own
(`python -m standins`). Latencies default to each provider's published
figures (see each stand-in), so a bench through them models the real path.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from standins import assemblyai, deepl, elevenlabs
from standins.hearing import Hearing
from standins.http import Faults, ServedApp

ASSEMBLYAI_KEY = "aai-standin-key"
DEEPL_KEY = "deepl-standin-key:fx"
ELEVENLABS_KEY = "sk_standin_elevenlabs"


@dataclass
class Latencies:
    """How long each stand-in takes (defaults: the providers' published figures)."""

    stt: assemblyai.Latency = field(default_factory=assemblyai.Latency)
    translation_ms: float = deepl.DEFAULT_LATENCY_MS
    tts: elevenlabs.Latency = field(default_factory=elevenlabs.Latency)

    @property
    def end_of_turn_ms(self) -> float:
        """A sentence's end to its final turn, when the provider ends the turn itself.

        Universal-3 Pro (the Hebrew model) ends a turn 100 ms into a silence
        after a sentence (min_turn_silence), then answers in `final_ms`.
        """
        return 100 + self.stt.final_ms


class CloudStandins:
    """AssemblyAI, DeepL and ElevenLabs on free 127.0.0.1 ports, for an `async with`."""

    def __init__(
        self,
        hearing: Hearing | None = None,
        latencies: Latencies | None = None,
        *,
        tts_concurrency: int | None = None,
    ) -> None:
        self.latencies = latencies or Latencies()
        self.stt = assemblyai.AssemblyAIStandin(
            ASSEMBLYAI_KEY, hearing=hearing, latency=self.latencies.stt
        )
        self.billing = deepl.Billing()
        self.speech = elevenlabs.Usage()
        self.translation_faults = Faults()
        self.tts_faults = Faults()
        self._tts_concurrency = tts_concurrency
        self._stack = AsyncExitStack()
        self.deepl_url = ""
        self.elevenlabs_url = ""

    async def __aenter__(self) -> CloudStandins:
        await self.stt.start()
        self._stack.push_async_callback(self.stt.__aexit__)
        translator = deepl.deepl_app(
            DEEPL_KEY,
            self.translation_faults,
            latency_ms=self.latencies.translation_ms,
            billing=self.billing,
        )
        voice = elevenlabs.elevenlabs_app(
            ELEVENLABS_KEY,
            self.tts_faults,
            latency=self.latencies.tts,
            max_concurrency=self._tts_concurrency,
            usage=self.speech,
        )
        self.deepl_url = (await self._stack.enter_async_context(ServedApp(translator))).url
        self.elevenlabs_url = (await self._stack.enter_async_context(ServedApp(voice))).url
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    def env(self) -> dict[str, str]:
        """The settings (environment) that make a flow use these stand-ins."""
        return {
            "STT_PROVIDER": "assemblyai",
            "ASSEMBLYAI_API_KEY": ASSEMBLYAI_KEY,
            "ASSEMBLYAI_HOST": self.stt.host,
            "TRANSLATION_PROVIDER": "deepl",
            "DEEPL_AUTH_KEY": DEEPL_KEY,
            "DEEPL_SERVER_URL": self.deepl_url,
            "TTS_PROVIDER": "elevenlabs",
            "ELEVENLABS_API_KEY": ELEVENLABS_KEY,
            "ELEVENLABS_BASE_URL": self.elevenlabs_url,
        }
