"""The audio topic's record format: what the ingress writes is what the flow reads."""

from __future__ import annotations

import struct

import pytest

from wire import audio
from wire.audio import AudioFrame, EndRecord, RecordError, SessionSettings, StartRecord

PCM = bytes(range(256)) * 25  # 200 ms


def test_frames_round_trip_with_receipt_to_the_microsecond() -> None:
    frame = AudioFrame("s1", 7, 1_796_594_426_811, 1_796_594_426_811.437, PCM)

    decoded = audio.decode(audio.encode(frame))

    assert decoded == frame
    assert isinstance(decoded, AudioFrame)
    assert decoded.ingress_ms - decoded.capture_ms == pytest.approx(0.437, abs=1e-3)


def test_frames_carry_where_they_lie_in_the_sessions_audio_or_that_nobody_said() -> None:
    resent = AudioFrame("s1", 8, 0, 0.0, PCM, audio_offset=0)
    placed = AudioFrame("s1", 9, 0, 0.0, PCM, audio_offset=96_000)
    unplaced = AudioFrame("s1", 10, 0, 0.0, PCM)

    for frame in (resent, placed, unplaced):
        decoded = audio.decode(audio.encode(frame))
        assert isinstance(decoded, AudioFrame)
        assert decoded.audio_offset == frame.audio_offset
        assert decoded == frame


def test_a_frame_offset_between_samples_is_refused() -> None:
    body = struct.pack(">QQQQ", 3, 1000, 1002, 1 + 1) + PCM  # offset 1: half a sample

    with pytest.raises(RecordError, match="audio offset"):
        audio.decode(b"LD" + bytes([3, audio.KIND_FRAME, 2]) + b"s1" + body)


def test_start_and_end_records_round_trip() -> None:
    start = StartRecord(SessionSettings("s1", "u1", tier="premium", reply_partition=3), 40)
    end = EndRecord("s1", 41, 1_796_594_426_900)

    assert audio.decode(audio.encode(start)) == start
    assert audio.decode(audio.encode(end)) == end


def test_version_1_frames_still_decode_with_whole_milliseconds() -> None:
    # As recorded before receipts were stamped in microseconds (tests/data/recordings).
    v1 = b"LD" + bytes([1, audio.KIND_FRAME, 2]) + b"s1" + struct.pack(">QQQ", 3, 1000, 1002) + PCM

    decoded = audio.decode(v1)

    assert decoded == AudioFrame("s1", 3, 1000, 1002, PCM)


def test_version_2_frames_still_decode_without_an_offset() -> None:
    v2 = b"LD" + bytes([2, audio.KIND_FRAME, 2]) + b"s1" + struct.pack(">QQQ", 3, 1000, 1002_500)

    decoded = audio.decode(v2 + PCM)

    assert decoded == AudioFrame("s1", 3, 1000, 1002.5, PCM)
    assert isinstance(decoded, AudioFrame) and decoded.audio_offset is None


def test_unknown_versions_are_refused() -> None:
    v4 = b"LD" + bytes([4, audio.KIND_FRAME, 2]) + b"s1" + struct.pack(">QQQQ", 3, 1000, 1002, 0)

    with pytest.raises(RecordError, match="unsupported record version 4"):
        audio.decode(v4)
