"""One voice per speaker: who said each final segment, and the voice that dubs them.

Three parts of the dataflow (`flows.dataflow`):

- `voiceprint`: each utterance's final segment (its audio, as the segmenter cut
  it) is embedded in a thread the worker's loop awaits, beside its
  speech-to-text call, not after it (`providers.speaker_embedder`).
- A streaming provider (AssemblyAI) labels each turn's speaker itself, but its
  labels start again on every connection (and a session's connection closes
  after a quiet spell, a reconnect, a restart). So the turn's own label says
  who it is once it is known; only the first turn of each label on a
  connection (and a turn with no label) carries its audio and is embedded
  (by the speakers step itself), to tell whose voice the label is. A label other than
  one of its connection's is never taken for the same speaker.
- `SessionSpeakers`, a small step keyed by session, pairs each final
  transcript with its voiceprint or its label and numbers the speaker online
  (`flows.speaker_clusters`). Items keep their order: on the segment path a
  final whose voiceprint is not in yet holds the session's later items back
  (the embedding costs a few ms per second of audio, so it is in long before
  a transcript). The speakers heard, the labels known and anything held are
  in its snapshots, so a restarted flow numbers them as before.
- `dub_by_speaker` dubs speaker 1 in the session's voice and each other
  speaker in a voice of its own from the TTS provider's catalog for the
  target language: distinct timbres first, in catalog order, so the choice
  depends only on the catalog and the speaker's number.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from bytewax.operators import StatefulBatchLogic

import settings as settings_module
from flows.concurrency import WorkerLoop
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
# How often a session waiting for a turn's voiceprint looks for it (tens of ms of work:
# looking more often only wakes every such session in vain).
EMBEDDING_POLL = timedelta(milliseconds=5)
# A new connection's turn waits this long for its voiceprint, then goes out without a
# speaker (its label is placed when the voiceprint comes): a busy machine delays no
# subtitle more. Only a label's first turns on a connection after the session's first wait.
EMBEDDING_WAIT_S = 1.0
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
    # Voiceprints by (segment, turn); a segment's own (the segment path) is turn 0.
    prints: dict[tuple[int, int], Voiceprint] = field(default_factory=dict)
    held: list[Transcribed | StreamEnd] = field(default_factory=list)
    # The speaker of each recent segment: a segment heard as several turns keeps one.
    of_segment: dict[int, int | None] = field(default_factory=dict)
    # A streaming provider's speaker labels (unique per connection), as our speakers.
    labels: dict[str, int] = field(default_factory=dict)


class SessionSpeakers(StatefulBatchLogic[SpeakerInput, SpeakerOutput, SpeakersState]):
    """Numbers a session's speakers and puts the number on each final segment.

    `waits`: voiceprints come from a branch beside speech-to-text, so a final
    waits for its own. Else (a streaming provider's turns) only a turn that
    carries its audio waits, for the voiceprint this step makes of it with
    `embedder` on the worker's `loop` (in this step: no hop more for the
    other events); the others never wait.
    """

    def __init__(
        self,
        setup: SpeakerSetup,
        resume: SpeakersState | None = None,
        *,
        waits: bool = True,
        embedder: VoiceEmbedder | None = None,
        loop: WorkerLoop | None = None,
    ) -> None:
        self._setup = setup
        self._waits = waits
        self._embedder = embedder
        self._loop = loop
        self._embedding: dict[tuple[int, int], asyncio.Task[list[Voiceprint]]] = {}
        # Turns let out (their label known) before their voiceprint: it teaches their speaker.
        self._teaches: dict[tuple[int, int], int | None] = {}
        # Turns let out before their voiceprint with their label not placed: it places it.
        self._places: dict[tuple[int, int], SpeechSegment] = {}
        self._started: dict[tuple[int, int], float] = {}
        self._state = resume or SpeakersState(SpeakerClusters(setup.threshold, setup.max_speakers))
        for item in self._state.held:  # a restore: embed again what was under way
            self._embed(item)

    def on_batch(self, values: list[SpeakerInput]) -> tuple[list[SpeakerOutput], bool]:
        """Keep voiceprints, queue the rest; let out what has its speaker."""
        state = self._state
        for item in values:
            if isinstance(item, Voiceprint):
                state.prints[(item.segment, item.turn)] = item
            else:
                state.held.append(item)
                self._embed(item)
        return self._out()

    def on_notify(self) -> tuple[list[SpeakerOutput], bool]:
        """Step the loop (unless another session's look just did); let out what is ready."""
        if self._loop is not None:
            self._loop.step(unless_recent=True)
        return self._out()

    def on_eof(self) -> tuple[list[SpeakerOutput], bool]:
        """The input is over (file mode, tests): wait for the voiceprints under way."""
        if self._loop is not None:
            self._loop.wait(self._embedding.values())
        return self._out()

    def notify_at(self) -> datetime | None:
        """Look again soon while a voiceprint is being made."""
        return datetime.now(UTC) + EMBEDDING_POLL if self._embedding else None

    def _embed(self, item: Transcribed | StreamEnd) -> None:
        if not isinstance(item, Transcribed) or not item.segment.pcm or self._embedder is None:
            return
        assert self._loop is not None
        key = (item.segment.segment, item.segment.turn)
        if key not in self._embedding and key not in self._state.prints:
            self._embedding[key] = self._loop.submit(voiceprint(self._embedder, item.segment))
            self._started[key] = time.monotonic()
            self._loop.step()

    def _out(self) -> tuple[list[SpeakerOutput], bool]:
        state = self._state
        for key, task in list(self._embedding.items()):
            if task.done():
                del self._embedding[key]
                self._started.pop(key, None)
                (heard,) = task.result()  # voiceprint() never raises
                if key in self._teaches:
                    self._learn(self._teaches.pop(key), heard)
                elif key in self._places:
                    late = self._places.pop(key)
                    if not self._known(late)[0]:
                        self._heard(late, heard)
                else:
                    state.prints[key] = replace(heard, turn=key[1])
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
        return SpeakersState(
            clusters,
            dict(state.prints),
            list(state.held),
            dict(state.of_segment),
            dict(state.labels),
        )

    def _release(self) -> list[SpeakerOutput]:
        state = self._state
        out: list[SpeakerOutput] = []
        while state.held:
            item = state.held[0]
            if isinstance(item, StreamEnd):
                out.append(item)
                state.held.pop(0)
                continue
            seg = item.segment
            if not _needs_speaker(item):
                out.append(item)
                state.held.pop(0)
                if seg.final:
                    self._forget_before(seg.segment)
                continue
            key = (seg.segment, seg.turn)
            known, speaker = self._known(seg)
            if not known and self._surely_new(seg.speaker_label):
                known, speaker = True, self._reserve(seg.speaker_label)
            if known:  # a placed label, or the segment's earlier turn
                if key in self._embedding:
                    self._teaches[key] = speaker
                self._learn(speaker, state.prints.pop(key, None))
            elif key not in state.prints and key in self._embedding and not self._waits:
                if time.monotonic() - self._started[key] < EMBEDDING_WAIT_S:
                    break  # its voiceprint is still being made
                self._places[key] = seg  # out without a speaker; the voiceprint places it
                speaker = None
            else:
                if key not in state.prints and self._waits:
                    break  # its voiceprint is still being made
                speaker = self._heard(seg, state.prints.pop(key, None))
            out.append(replace(item, segment=replace(seg, speaker=speaker, pcm=b"")))
            state.held.pop(0)
            self._forget_before(seg.segment)
        return out

    def _known(self, seg: SpeechSegment) -> tuple[bool, int | None]:
        """(whether known, the speaker): a provider label's, or an earlier turn's of the segment."""
        state = self._state
        if seg.speaker_label is not None and seg.speaker_label in state.labels:
            return True, state.labels[seg.speaker_label]
        if seg.speaker_label is None and seg.segment in state.of_segment:
            return True, state.of_segment[seg.segment]
        return False, None

    def _heard(self, seg: SpeechSegment, heard: Voiceprint | None) -> int | None:
        """The speaker of a voiceprint (None: too little to tell); a new label learns it."""
        state = self._state
        label = seg.speaker_label
        speaker = self._speaker(heard, self._others_on_connection(label))
        if label is not None and speaker is not None:
            state.labels[label] = speaker
        if label is None:
            state.of_segment[seg.segment] = speaker
        return speaker

    def _surely_new(self, label: str | None) -> bool:
        """A label whose connection's other labels stand for every speaker heard: someone new.

        So a session's first connection needs no voiceprint to place its labels
        (they only teach the voices, for the connections after it).
        """
        clusters = self._state.clusters
        if label is None or len(clusters) >= clusters.max_speakers:
            return False
        return set(range(len(clusters))) <= self._others_on_connection(label)

    def _reserve(self, label: str | None) -> int:
        """A new speaker for a label, its voice to be learnt from its turns."""
        speaker = self._state.clusters.reserve() + 1
        if label is not None:
            self._state.labels[label] = speaker
        return speaker

    def _others_on_connection(self, label: str | None) -> frozenset[int]:
        """Speakers other labels of the connection stand for: the provider says they differ."""
        if label is None:
            return frozenset()
        connection = label.rpartition(":")[0]
        return frozenset(
            speaker - 1
            for other, speaker in self._state.labels.items()
            if other != label and other.rpartition(":")[0] == connection
        )

    def _learn(self, speaker: int | None, heard: Voiceprint | None) -> None:
        """A labelled turn's voiceprint teaches its speaker's voice (one reserved learns it)."""
        if speaker is None or heard is None or heard.vector is None:
            return
        if heard.speech_ms >= MIN_NEW_SPEAKER_MS:
            self._state.clusters.learn(speaker - 1, heard.vector)

    def _speaker(self, heard: Voiceprint | None, others: frozenset[int]) -> int | None:
        clusters = self._state.clusters
        if heard is None or heard.vector is None:
            # The first speaker, whose voice is not known yet; later, not a guess.
            return clusters.reserve() + 1 if not len(clusters) else None
        if heard.speech_ms < MIN_NEW_SPEAKER_MS and len(clusters):
            nearest = clusters.nearest(heard.vector, others)
            return None if nearest is None else nearest + 1
        return clusters.assign(heard.vector, others) + 1

    def _forget_before(self, number: int) -> None:
        """Voiceprints of segments no final came for, and speakers of segments long done."""
        state = self._state
        for key in [key for key in state.prints if key[0] < number]:
            del state.prints[key]
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
