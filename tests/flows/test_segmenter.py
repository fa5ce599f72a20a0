"""Segmentation logic without a dataflow: ordering, repeats, utterances, usage, the end."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import pickle
import time

import pytest

import settings
from flows.audio_log import AudioLog
from flows.items import SpeechSegment, StreamEnd, UsageTick
from flows.segmenter import SegmenterConfig, SessionSegmenter
from tests.support.audio_topic import published
from tests.support.speech import frames, silence, utterances
from wire.audio import AudioFrame, EndRecord, SessionSettings, StartRecord
from wire.events import ResultEvent

SETTINGS = SessionSettings(
    session_id="s1", user_id="u1", source_language="en", target_language="es"
)
SENTENCES = ("The weather is nice today.", "We are going to the beach.", "Bring a hat and water.")


def _records(pcm: bytes, session: str = "s1") -> list[AudioFrame]:
    return [AudioFrame(session, i, i * 100, 0, f) for i, f in enumerate(frames(pcm))]


def _run(seg: SessionSegmenter, records: list, batch: int = 5) -> list:
    out: list = []
    for i in range(0, len(records), batch):
        emitted, _discard = seg.on_batch(records[i : i + batch])
        out += emitted
    return out


def _finals(out: list) -> list[SpeechSegment]:
    return [o for o in out if isinstance(o, SpeechSegment) and o.final]


def test_one_final_segment_per_sentence_with_cue_times() -> None:
    pcm = utterances(*SENTENCES)
    seg = SessionSegmenter(SegmenterConfig())
    out = _run(seg, [StartRecord(SETTINGS), *_records(pcm), EndRecord("s1", 10_000, 0)])
    finals = _finals(out)
    assert [f.segment for f in finals] == [0, 1, 2]
    for f in finals:
        assert f.end_ms > f.start_ms
        assert len(f.pcm) >= (f.end_ms - f.start_ms) * 32
    # The utterances do not overlap and sit inside the stream's duration.
    assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(finals))
    assert finals[-1].end_ms <= len(pcm) // 32
    assert isinstance(out[-1], StreamEnd) and out[-1].segments == 3


def test_segments_carry_when_they_were_closed_for_the_benchmarks_split() -> None:
    before = time.time() * 1000
    seg = SessionSegmenter(SegmenterConfig())
    out = _run(seg, [StartRecord(SETTINGS), *_records(utterances(SENTENCES[0]))])
    after = time.time() * 1000
    stamps = [o.segmented_ms for o in out if isinstance(o, SpeechSegment)]
    assert stamps and all(before - 1 <= stamp <= after + 1 for stamp in stamps)


def test_out_of_order_and_repeated_frames_give_the_same_segments() -> None:
    pcm = utterances(*SENTENCES)
    ordered = _records(pcm)
    shuffled = []
    for i in range(0, len(ordered), 4):  # swap neighbours and repeat some frames
        chunk = ordered[i : i + 4][::-1]
        shuffled += chunk + chunk[:1]
    base = _finals(_run(SessionSegmenter(SegmenterConfig()), [StartRecord(SETTINGS), *ordered]))
    messy = _finals(_run(SessionSegmenter(SegmenterConfig()), [StartRecord(SETTINGS), *shuffled]))
    assert [(s.segment, s.start_ms, s.end_ms, s.pcm) for s in messy] == [
        (s.segment, s.start_ms, s.end_ms, s.pcm) for s in base
    ]


def test_usage_counts_every_accepted_frame_once() -> None:
    pcm = utterances(*SENTENCES[:2]) + silence(55)  # not a multiple of the VAD frame
    records = _records(pcm)
    seg = SessionSegmenter(SegmenterConfig())
    out = _run(seg, [StartRecord(SETTINGS), *records, *records[:7], EndRecord("s1", 999, 0)])
    ticks = [o for o in out if isinstance(o, UsageTick)]
    assert ticks[-1].final
    assert ticks[-1].processed_ms == len(pcm) // 32
    assert [t.processed_ms for t in ticks] == sorted(t.processed_ms for t in ticks)


@pytest.mark.parametrize(("tier", "every_ms"), [("free", 1000), ("premium", 10_000)])
def test_free_sessions_tick_every_second_and_premium_ones_every_ten(
    tier: str, every_ms: int
) -> None:
    pcm = utterances(*SENTENCES) + silence(20_000)
    settings = dataclasses.replace(SETTINGS, tier=tier)
    out = _run(SessionSegmenter(SegmenterConfig()), [StartRecord(settings), *_records(pcm)])
    marks = [t.processed_ms for t in out if isinstance(t, UsageTick)]
    # One tick as each step of audio completes (a batch is half a second).
    assert [m // every_ms for m in marks] == list(range(1, len(pcm) // 32 // every_ms + 1))


def test_long_speech_is_cut_at_the_maximum_length() -> None:
    pcm = utterances(" ".join(SENTENCES * 2), gap_ms=300)
    config = SegmenterConfig(max_utterance_ms=3000, partials=False)
    finals = _finals(_run(SessionSegmenter(config), [StartRecord(SETTINGS), *_records(pcm)]))
    assert len(finals) >= 3
    assert all(f.end_ms - f.start_ms <= 3000 for f in finals)


def test_partials_grow_and_are_replay_stable() -> None:
    pcm = utterances(SENTENCES[0] + " " + SENTENCES[1])
    config = SegmenterConfig(partial_interval_ms=600)
    records = [StartRecord(SETTINGS), *_records(pcm)]
    partials_a = [
        o
        for o in _run(SessionSegmenter(config), records, batch=3)
        if isinstance(o, SpeechSegment) and not o.final
    ]
    partials_b = [
        o
        for o in _run(SessionSegmenter(config), records, batch=1)
        if isinstance(o, SpeechSegment) and not o.final
    ]
    assert partials_a, "speech longer than the interval yields partials"
    sizes = [len(p.pcm) for p in partials_a]
    assert sizes == sorted(sizes)
    # Whatever the batching, a partial with the same index holds the same audio.
    by_index = {p.partial_index: p.pcm for p in partials_b}
    assert all(by_index[p.partial_index] == p.pcm for p in partials_a)


def test_snapshot_resume_continues_exactly() -> None:
    records = [StartRecord(SETTINGS), *_records(utterances(*SENTENCES))]
    whole = _finals(_run(SessionSegmenter(SegmenterConfig()), records))
    first = SessionSegmenter(SegmenterConfig())
    half = len(records) // 2
    out = _run(first, records[:half])
    resumed = SessionSegmenter(SegmenterConfig(), pickle.loads(pickle.dumps(first.snapshot())))
    out += _run(resumed, records[half:])
    assert [(s.segment, s.pcm) for s in _finals(out)] == [(s.segment, s.pcm) for s in whole]


def test_frames_before_start_are_reported_once() -> None:
    seg = SessionSegmenter(SegmenterConfig())
    out = _run(seg, _records(utterances(SENTENCES[0]))[:10])
    errors = [o for o in out if isinstance(o, ResultEvent)]
    assert len(errors) == 1 and errors[0].code == "record_invalid"


def test_a_restart_continues_at_first_seq_without_waiting_for_the_gap() -> None:
    pcm = utterances(*SENTENCES)
    head, tail = _records(pcm)[:40], _records(pcm)[40:]
    moved = [AudioFrame("s1", f.seq + 10_000, f.capture_ms, 0, f.pcm) for f in tail]
    seg = SessionSegmenter(SegmenterConfig())
    out = _run(seg, [StartRecord(SETTINGS), *head])
    out += _run(seg, [StartRecord(SETTINGS, first_seq=10_040), *moved, EndRecord("s1", 0, 0)])
    whole = _run(SessionSegmenter(SegmenterConfig()), [StartRecord(SETTINGS), *_records(pcm)])
    assert [(s.segment, s.pcm) for s in _finals(out)] == [
        (s.segment, s.pcm) for s in _finals(whole)
    ]
    # Frames of the earlier stream that arrive late are older than first_seq: repeats.
    assert seg.state.next_seq == 10_000 + len(_records(pcm))


def test_partials_are_skipped_while_the_flow_is_behind() -> None:
    pcm = utterances(SENTENCES[0] + " " + SENTENCES[1])
    config = SegmenterConfig(partial_interval_ms=600, partial_max_lag_ms=300)
    stale = int(time.time() * 1000) - 5000  # frames that waited five seconds
    late = [AudioFrame("s1", i, 0, stale, f) for i, f in enumerate(frames(pcm))]
    out = _run(SessionSegmenter(config), [StartRecord(SETTINGS), *late])
    assert not [o for o in out if isinstance(o, SpeechSegment) and not o.final]
    assert _finals(out)  # finals are never skipped


def _cut_mid_utterance(records: list, config: SegmenterConfig) -> tuple[SessionSegmenter, int]:
    """A segmenter fed records up to a point where it is inside an utterance."""
    for cut in range(len(records) // 2, len(records)):
        seg = SessionSegmenter(config)
        _run(seg, records[:cut])
        if seg.state.vad.in_speech and len(seg.state.utterance) > 10:
            return seg, cut
    raise AssertionError("no cut inside an utterance")


def test_a_snapshot_names_held_audio_on_the_topic_and_a_restore_reads_it_back(
    cfg: settings.Settings,
) -> None:
    sent = [StartRecord(SETTINGS), *_records(utterances(*SENTENCES))]
    records = published(cfg.kafka_bootstrap, cfg.topic_audio, sent)
    whole = _run(SessionSegmenter(SegmenterConfig()), records)
    first, cut = _cut_mid_utterance(records, SegmenterConfig())
    out = _run(SessionSegmenter(SegmenterConfig()), records[:cut])

    snapshot = pickle.dumps(first.snapshot())
    held = sum(len(f) for f in first.state.utterance) + len(first.state.vad.leftover)
    assert len(snapshot) < held / 10, "the audio stays on the topic"
    log = AudioLog(cfg.kafka_bootstrap, cfg.topic_audio)
    resumed = SessionSegmenter(SegmenterConfig(), pickle.loads(snapshot), audio_log=log)
    assert resumed.state.utterance == first.state.utterance
    assert resumed.state.vad.history == first.state.vad.history
    out += _run(resumed, records[cut:])
    assert [(s.segment, s.pcm) for s in _finals(out)] == [
        (s.segment, s.pcm) for s in _finals(whole)
    ]


def test_a_restore_whose_audio_is_gone_drops_the_open_utterance_and_goes_on(
    cfg: settings.Settings,
) -> None:
    sent = [StartRecord(SETTINGS), *_records(utterances(*SENTENCES))]
    records = published(cfg.kafka_bootstrap, cfg.topic_audio, sent)
    first, cut = _cut_mid_utterance(records, SegmenterConfig())
    before = _finals(_run(SessionSegmenter(SegmenterConfig()), records[:cut]))
    elsewhere = AudioLog(cfg.kafka_bootstrap, cfg.topic_results)  # holds none of these frames
    resumed = SessionSegmenter(SegmenterConfig(), first.snapshot(), audio_log=elsewhere)
    after = _finals(_run(resumed, [*records[cut:], EndRecord("s1", 10_000, 0)]))
    # The cut utterance is lost, not mangled: what follows is still found and numbered on.
    assert [s.segment for s in after] == list(range(len(before), len(before) + len(after)))
    assert after and all(s.start_ms >= records[cut].seq * 100 for s in after)


def test_audio_not_read_from_the_topic_stays_in_the_snapshot() -> None:
    records = [StartRecord(SETTINGS), *_records(utterances(*SENTENCES))]
    first, _cut = _cut_mid_utterance(records, SegmenterConfig())
    snapshot = first.snapshot()
    assert snapshot.held_on_topic is None
    assert snapshot.utterance == first.state.utterance


def test_a_session_holding_no_audio_restores_without_reading_anything(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seg = SessionSegmenter(SegmenterConfig())
    _run(seg, [StartRecord(SETTINGS)])
    resumed = SessionSegmenter(SegmenterConfig(), pickle.loads(pickle.dumps(seg.snapshot())))
    out = _run(resumed, [*_records(utterances(SENTENCES[0])), EndRecord("s1", 10_000, 0)])
    assert [s.segment for s in _finals(out)] == [0]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- a reconnecting client sends its last seconds again ---------------------------


def _placed(pcm: bytes, start: int, first_seq: int, size: int = 3200) -> list[AudioFrame]:
    """The audio from byte `start` in frames of `size`, each saying where it lies."""
    return [
        AudioFrame("s1", first_seq + n, 0, 0, pcm[at : at + size], audio_offset=at)
        for n, at in enumerate(range(start, len(pcm), size))
    ]


def _resumed(pcm: bytes, had: int, resend_from: int, size: int = 3200) -> list:
    """The session's records when a socket dropped after `had` bytes reached the flow.

    The client sent more than that on the dropped socket; the new one sends
    again from `resend_from`, in frames of `size`, and on to the end.
    """
    head = [f for f in _placed(pcm, 0, 0) if f.audio_offset is not None and f.audio_offset < had]
    assert sum(len(f.pcm) for f in head) == had
    tail = _placed(pcm, resend_from, 10_000, size)
    return [
        StartRecord(SETTINGS),
        *head,
        StartRecord(SETTINGS, first_seq=10_000),
        *tail,
        EndRecord("s1", 10_000 + len(tail) - 1, 0),
    ]


def _heard(out: list) -> tuple[list[tuple[int, int, int, bytes]], int]:
    """The finals (number, times, audio) and the usage charged at the end."""
    ticks = [o for o in out if isinstance(o, UsageTick)]
    assert ticks[-1].final
    finals = [(s.segment, s.start_ms, s.end_ms, s.pcm) for s in _finals(out)]
    return finals, ticks[-1].processed_ms


@pytest.mark.parametrize(
    ("had_frames", "in_flight", "resend_ms", "size"),
    [
        (60, 3, 1234, 3200),  # the resend starts inside a frame the flow had
        (60, 3, 3000, 3200),  # ...on a frame boundary
        (61, 2, 2500, 1760),  # frames of another size, one straddling the end of what it had
        (60, 0, 3000, 3200),  # nothing lost: all of the resend is a repeat
        (60, 4, 6000, 32_000),  # one-second frames
    ],
)
def test_audio_sent_again_after_a_reconnect_is_taken_once_to_the_sample(
    had_frames: int, in_flight: int, resend_ms: int, size: int
) -> None:
    pcm = utterances(*SENTENCES) + silence(45)
    undisturbed = _run(
        SessionSegmenter(SegmenterConfig()),
        [StartRecord(SETTINGS), *_placed(pcm, 0, 0), EndRecord("s1", 10_000, 0)],
    )
    had = had_frames * 3200  # reached the flow; `in_flight` frames more were sent and lost
    resend_from = had + in_flight * 3200 - resend_ms * 32
    seg = SessionSegmenter(SegmenterConfig())

    out = _run(seg, _resumed(pcm, had, resend_from, size))

    assert _heard(out) == _heard(undisturbed)
    assert _heard(out)[1] == len(pcm) // 32  # charged: every millisecond once
    assert (seg.state.resent_bytes, seg.state.lost_bytes) == (had - resend_from, 0)
    # Leased twice by the ingress: the last tick says how much to give back.
    last = [o for o in out if isinstance(o, UsageTick)][-1]
    assert last.resent_ms == (had - resend_from) // 32


def test_audio_that_never_arrived_is_counted_and_the_stream_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pcm = utterances(*SENTENCES)
    had = 40 * 3200
    seg = SessionSegmenter(SegmenterConfig())

    out = _run(seg, _resumed(pcm, had, had + 500 * 32))  # sent again from 500 ms too late

    assert seg.state.lost_bytes == 500 * 32 and seg.state.resent_bytes == 0
    assert _heard(out)[1] == (len(pcm) - 500 * 32) // 32  # what arrived, no more
    assert [s for s, *_ in _heard(out)[0]] == list(range(len(_finals(out))))
    assert any("500 ms of audio never arrived" in r.getMessage() for r in caplog.records)


def test_frames_that_do_not_say_where_they_lie_follow_what_came_before() -> None:
    pcm = utterances(*SENTENCES)
    placed = _placed(pcm, 0, 0)
    mixed = [f if f.seq % 3 else dataclasses.replace(f, audio_offset=None) for f in placed]
    seg = SessionSegmenter(SegmenterConfig())

    out = _run(seg, [StartRecord(SETTINGS), *mixed, EndRecord("s1", 10_000, 0)])

    assert _heard(out)[1] == len(pcm) // 32
    assert (seg.state.audio_end, seg.state.resent_bytes, seg.state.lost_bytes) == (len(pcm), 0, 0)


def test_a_restore_in_the_middle_of_a_resend_reads_back_only_the_new_part_of_each_frame(
    cfg: settings.Settings,
) -> None:
    pcm = utterances(*SENTENCES)
    had = 50 * 3200
    sent = _resumed(pcm, had, had + 2 * 3200 - 2345 * 32, size=2240)
    records = published(cfg.kafka_bootstrap, cfg.topic_audio, sent)
    whole = _run(SessionSegmenter(SegmenterConfig()), records)
    resend_at = next(i for i, r in enumerate(records) if i and isinstance(r, StartRecord))
    straddling = next(
        i
        for i, r in enumerate(records)
        if i > resend_at
        and isinstance(r, AudioFrame)
        and r.audio_offset is not None
        and r.audio_offset < had < r.audio_offset + len(r.pcm)
    )
    cut = straddling + 1
    first = SessionSegmenter(SegmenterConfig())
    out = _run(first, records[:cut], batch=1)
    assert first.state.sources[-1][1] < 2240  # it held the frame's new tail only
    assert first.state.vad.in_speech or first.state.preroll

    snapshot = pickle.loads(pickle.dumps(first.snapshot()))
    assert snapshot.held_on_topic is not None
    log = AudioLog(cfg.kafka_bootstrap, cfg.topic_audio)
    resumed = SessionSegmenter(SegmenterConfig(), snapshot, audio_log=log)
    assert resumed.state.vad.history == first.state.vad.history
    assert resumed.state.vad.leftover == first.state.vad.leftover
    out += _run(resumed, records[cut:])

    assert _heard(out) == _heard(whole)
    assert _heard(out)[1] == len(pcm) // 32
    assert resumed.state.resent_bytes == first.state.resent_bytes == had - (had + 6400 - 2345 * 32)
