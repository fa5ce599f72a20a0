"""One voice per speaker: who said each final segment, and the voice that dubs them.

Three parts of the dataflow (`flows.dataflow`):

- `voiceprint`: each utterance's final segment (its audio, as the segmenter cut
  it) is embedded in a thread the worker's loop awaits, beside its
  speech-to-text call, not after it (`providers.speaker_embedder`). A
  streaming provider's session is embedded from the same utterance audio, so
  both paths tell speakers apart the same way.
- `SessionSpeakers`, a small step keyed by session, pairs each final
  transcript with its segment's voiceprint and numbers the speaker online
  (`flows.speaker_clusters`). Items keep their order: a final whose
  voiceprint is not in yet holds the session's later items back (the
  embedding costs a few ms per second of audio, so it is in long before a
  transcript). The speakers heard, and anything held, are in its snapshots,
  so a restarted flow numbers them as before.
- `dub_by_speaker` dubs speaker 1 in the session's voice and each other
  speaker in a voice of its own from the TTS provider's catalog for the
  target language: distinct timbres first, in catalog order, so the choice
  depends only on the catalog and the speaker's number.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace

from bytewax.operators import StatefulBatchLogic

import settings as settings_module
from flows.items import PathDone, SpeechSegment, StreamEnd, Transcribed, Voiceprint
from flows.speaker_clusters import DEFAULT_MAX_SPEAKERS, DEFAULT_THRESHOLD, SpeakerClusters
from flows.speech_steps import SpeechProviders, dub
from providers import registry
from providers.base import (
    DefaultVoice,
    ProviderError,
    TextToSpeech,
    Voice,
    VoiceCatalog,
    VoiceEmbedder,
)
from wire.events import ResultEvent

log = logging.getLogger(__name__)

# A voiceprint from less speech than this (one window of the encoder) may join a
# speaker already heard, never start a new one: a "Yes." says too little.
MIN_NEW_SPEAKER_MS = 800
# A catalog is asked for again after this long (a cloud account's voices may change).
CATALOG_SECONDS = 3600.0

SpeakerInput = Transcribed | StreamEnd | Voiceprint
SpeakerOutput = Transcribed | StreamEnd


@dataclass(frozen=True)
class SpeakerSetup:
    """How a flow tells speakers apart: the embedder each worker builds, and the clustering."""

    embedder: Callable[[], VoiceEmbedder]
    threshold: float = DEFAULT_THRESHOLD
    max_speakers: int = DEFAULT_MAX_SPEAKERS

    @classmethod
    def from_settings(cls, cfg: settings_module.Settings) -> SpeakerSetup | None:
        """The configured setup, or None with SPEAKER_EMBEDDER=none."""
        embedder = registry.speaker_embedder(cfg)
        if embedder is None:
            return None
        # One embedder serves every worker: it holds no loop, only the process's model.
        return cls(
            lambda: embedder,
            threshold=cfg.speaker_threshold,
            max_speakers=max(1, cfg.max_speakers),
        )


def wants_voiceprint(item: object) -> bool:
    """An utterance's final segment, with its audio."""
    return isinstance(item, SpeechSegment) and item.final and bool(item.pcm)


async def voiceprint(embedder: VoiceEmbedder, item: SpeechSegment) -> list[Voiceprint]:
    """The segment's voiceprint; a failed embedding is an unknown speaker, never a lost segment."""
    try:
        vector, speech_ms = await embedder.embed(item.pcm)
    except ProviderError as error:
        log.warning("no voiceprint for segment %d: %s", item.segment, error)
        vector, speech_ms = None, 0
    except Exception:  # an engine bug must not hold the session's finals back
        log.exception("speaker embedding failed for segment %d", item.segment)
        vector, speech_ms = None, 0
    return [Voiceprint(item.settings, item.segment, vector, speech_ms)]


@dataclass
class SpeakersState:
    """A session's speakers, the voiceprints not yet used, and the items held for theirs."""

    clusters: SpeakerClusters
    prints: dict[int, Voiceprint] = field(default_factory=dict)
    held: list[Transcribed | StreamEnd] = field(default_factory=list)
    # The speaker of each recent segment: a segment heard as several turns keeps one.
    of_segment: dict[int, int | None] = field(default_factory=dict)


class SessionSpeakers(StatefulBatchLogic[SpeakerInput, SpeakerOutput, SpeakersState]):
    """Numbers a session's speakers and puts the number on each final segment."""

    def __init__(self, setup: SpeakerSetup, resume: SpeakersState | None = None) -> None:
        self._setup = setup
        self._state = resume or SpeakersState(SpeakerClusters(setup.threshold, setup.max_speakers))

    def on_batch(self, values: list[SpeakerInput]) -> tuple[list[SpeakerOutput], bool]:
        """Keep voiceprints, queue the rest; let out what has its speaker."""
        state = self._state
        for item in values:
            if isinstance(item, Voiceprint):
                state.prints[item.segment] = item
            else:
                state.held.append(item)
        out = self._release()
        if state.held or not out or not isinstance(out[-1], StreamEnd):
            return out, StatefulBatchLogic.RETAIN
        return out, StatefulBatchLogic.DISCARD

    def snapshot(self) -> SpeakersState:
        """The whole state (the held items and voiceprints are immutable; clusters are copied)."""
        state = self._state
        clusters = replace(
            state.clusters,
            sums=[s.copy() for s in state.clusters.sums],
            counts=list(state.clusters.counts),
        )
        return SpeakersState(clusters, dict(state.prints), list(state.held), dict(state.of_segment))

    def _release(self) -> list[SpeakerOutput]:
        state = self._state
        out: list[SpeakerOutput] = []
        while state.held:
            item = state.held[0]
            if isinstance(item, StreamEnd):
                out.append(item)
                state.held.pop(0)
                continue
            number = item.segment.segment
            if not _needs_speaker(item):
                out.append(item)
                state.held.pop(0)
                if item.segment.final:
                    self._forget_before(number)
                continue
            if number not in state.of_segment:
                heard = state.prints.pop(number, None)
                if heard is None:
                    break  # its voiceprint is still being computed
                state.of_segment[number] = self._speaker(heard)
            speaker = state.of_segment[number]
            out.append(replace(item, segment=replace(item.segment, speaker=speaker)))
            state.held.pop(0)
            self._forget_before(number)
        return out

    def _speaker(self, heard: Voiceprint) -> int | None:
        clusters = self._state.clusters
        if heard.vector is None:
            return 1 if len(clusters) <= 1 else None
        if heard.speech_ms < MIN_NEW_SPEAKER_MS and len(clusters):
            scores = clusters.similarities(heard.vector)
            return int(scores.argmax()) + 1
        return clusters.assign(heard.vector) + 1

    def _forget_before(self, number: int) -> None:
        """Voiceprints of segments no final came for, and speakers of segments long done."""
        state = self._state
        for old in [n for n in state.prints if n < number]:
            del state.prints[old]
        for old in [n for n in state.of_segment if n < number - 1]:
            del state.of_segment[old]


def _needs_speaker(item: Transcribed) -> bool:
    """A final with something said (partials, failures and silence pass as they are)."""
    has_text = item.transcript is not None and bool(item.transcript.text.strip())
    return item.segment.final and item.error is None and has_text


# -- voices ---------------------------------------------------------------------------------


def timbre(voice_id: str) -> str:
    """What a voice sounds like, as far as telling speakers apart goes.

    espeak-ng's dialect voices of a language (`espeak:en-gb`, `espeak:en-us`)
    share one timbre and differ only by accent; its variants (`+f3`) do not.
    """
    engine, _, rest = voice_id.partition(":")
    if engine != "espeak":
        return voice_id
    return f"espeak+{rest.partition('+')[2]}"


def speaker_voices(catalog: list[Voice], first: str | None) -> list[str]:
    """The voices speakers 1, 2, ... get, in turn.

    `first` (else the catalog's first) leads, then a voice of each timbre not
    used yet, then the others, in catalog order.
    """
    ids = list(dict.fromkeys(voice.id for voice in catalog))
    lead = first if first in ids else (ids[0] if ids else None)
    if lead is None:
        return []
    distinct: list[str] = []
    others: list[str] = []
    heard: set[str] = set()
    for voice_id in [lead, *(i for i in ids if i != lead)]:
        (others if timbre(voice_id) in heard else distinct).append(voice_id)
        heard.add(timbre(voice_id))
    return distinct + others


def voice_of(catalog: list[Voice], first: str | None, speaker: int) -> str | None:
    """Speaker `speaker`'s voice (1: the session's own, whatever it is)."""
    voices = speaker_voices(catalog, first)
    if speaker <= 1 or not voices:
        return first
    return voices[(speaker - 1) % len(voices)]


# Each TTS provider's catalog per language, with when it was asked (one provider per worker).
_catalogs: weakref.WeakKeyDictionary[TextToSpeech, dict[str, tuple[float, list[Voice]]]] = (
    weakref.WeakKeyDictionary()
)


async def catalog(tts: TextToSpeech, language: str) -> list[Voice]:
    """The provider's voices for a language, asked at most once per CATALOG_SECONDS."""
    if not isinstance(tts, VoiceCatalog):
        return []
    known = _catalogs.setdefault(tts, {})
    asked = known.get(language)
    if asked is None or time.monotonic() - asked[0] > CATALOG_SECONDS:
        asked = (time.monotonic(), await tts.voices(language))
        known[language] = asked
    return asked[1]


async def dub_by_speaker(
    providers: SpeechProviders, item: Transcribed | StreamEnd
) -> AsyncIterator[list[ResultEvent | PathDone]]:
    """`dub`, in the voice of the segment's speaker."""
    if isinstance(item, Transcribed) and (item.segment.speaker or 1) > 1:
        seg = item.segment
        language = seg.settings.target_language
        first = seg.settings.voice
        try:
            voices = await catalog(providers.tts, language)
            if first is None and isinstance(providers.tts, DefaultVoice):
                first = await providers.tts.default_voice(language)  # speaker 1's, unnamed
        except Exception:  # no catalog: the session's voice is still a dub
            log.exception("no voice catalog for %s", language)
            voices = []
        voice = voice_of(voices, first, seg.speaker or 1)
        item = replace(item, segment=replace(seg, settings=replace(seg.settings, voice=voice)))
    async for events in dub(providers, item):
        yield events
