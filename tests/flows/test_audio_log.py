"""Frames read back from the real audio topic by position."""

from __future__ import annotations

import settings
from flows.audio_log import AudioLog
from tests.support.audio_topic import published
from wire.audio import AudioFrame


def _frames(session: str, count: int) -> list[AudioFrame]:
    return [AudioFrame(session, i, i * 100, 0, bytes([i % 256]) * 3200) for i in range(count)]


def test_a_sessions_frames_come_back_by_position_in_the_order_asked(cfg: settings.Settings) -> None:
    mixed = [f for pair in zip(_frames("a", 30), _frames("b", 30), strict=True) for f in pair]
    back = published(cfg.kafka_bootstrap, cfg.topic_audio, mixed)
    mine = [r for r in back if isinstance(r, AudioFrame) and r.session_id == "a"][5:25]
    positions = [f.position for f in mine if f.position is not None]
    log = AudioLog(cfg.kafka_bootstrap, cfg.topic_audio)
    found = log.frames_at("a", positions[::-1])
    assert found is not None
    assert [(f.seq, f.pcm) for f in found] == [(f.seq, f.pcm) for f in mine[::-1]]


def test_a_position_that_is_not_the_sessions_or_not_there_is_not_found(
    cfg: settings.Settings,
) -> None:
    back = published(cfg.kafka_bootstrap, cfg.topic_audio, [*_frames("a", 3), *_frames("b", 3)])
    theirs = next(r.position for r in back if isinstance(r, AudioFrame) and r.session_id == "b")
    assert theirs is not None
    log = AudioLog(cfg.kafka_bootstrap, cfg.topic_audio)
    assert log.frames_at("a", [theirs]) is None
    assert log.frames_at("a", [(theirs[0], 1_000_000)]) is None
