"""`just dub` on a generated multi-sentence English file: cues per sentence, a full-length dub."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile
import srt
import webvtt

from flows.dub_file import dub_file, main
from flows.speech_steps import SpeechProviders
from tests.support.speech import utterances
from wire.audio import SessionSettings

SENTENCES = (
    "Good morning and welcome to the news.",
    "The weather will be sunny in the afternoon.",
    "Traffic on the main road is heavy tonight.",
)


def _input(tmp_path: Path) -> Path:
    path = tmp_path / "news.wav"
    pcm = np.frombuffer(utterances(*SENTENCES, gap_ms=900), dtype="<i2")
    soundfile.write(path, pcm, 16000, subtype="PCM_16")
    return path


def _en_to_es(subtitles: bool) -> SessionSettings:
    return SessionSettings(
        session_id="file",
        user_id="local",
        audio_dubbing=True,
        live_subtitles=subtitles,
        source_language="en",
        target_language="es",
    )


def test_one_cue_per_sentence_and_a_dub_as_long_as_the_input(
    tmp_path: Path, offline_engines: Callable[[], SpeechProviders]
) -> None:
    source = _input(tmp_path)
    session = _en_to_es(subtitles=True)
    written = dub_file(source, tmp_path / "out", session, offline_engines, show_progress=False)

    cues = webvtt.read(str(written["vtt"])).captions
    assert len(cues) == len(SENTENCES)
    assert "tiempo" in cues[1].text.lower()
    subtitles = list(srt.parse(written["srt"].read_text()))
    assert [s.content for s in subtitles] == [c.text for c in cues]
    assert all(a.end <= b.start for a, b in itertools.pairwise(subtitles))
    lines = written["transcript"].read_text().splitlines()
    assert len(lines) == len(SENTENCES) and "traffic" in lines[2].lower()

    dubbed, rate = soundfile.read(written["dubbed"])
    original = soundfile.info(str(source)).duration
    assert abs(len(dubbed) / rate - original) <= original / 3
    assert np.sqrt(np.mean(dubbed**2)) > 0.01  # speech, not silence


def test_mix_lays_the_dub_over_the_ducked_original(
    tmp_path: Path, offline_engines: Callable[[], SpeechProviders]
) -> None:
    source = _input(tmp_path)
    session = _en_to_es(subtitles=False)
    plain = dub_file(source, tmp_path / "a", session, offline_engines, show_progress=False)
    mixed = dub_file(
        source, tmp_path / "b", session, offline_engines, mix=True, show_progress=False
    )
    assert "vtt" not in plain  # dubbing only: no subtitle files
    dub, _ = soundfile.read(plain["dubbed"])
    mix, _ = soundfile.read(mixed["dubbed"])
    quiet = np.abs(dub) < 1e-4  # where the dub is silent, the original comes through
    assert np.sqrt(np.mean(mix[: len(dub)][quiet] ** 2)) > 0.01


def test_a_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    assert main([str(tmp_path / "nope.wav"), "--from", "en", "--to", "es"]) == 2
