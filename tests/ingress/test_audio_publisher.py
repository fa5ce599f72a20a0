"""Audio records leave at once when the ingress is quiet, batched when busy, in order either way."""

from __future__ import annotations

import asyncio
import uuid

import settings
from ingress.audio_publisher import AudioPublisher, RecordRate
from ingress.metrics import IngressMetrics
from tests.ingress.support import audio_records, pcm
from wire.audio import AudioFrame, EndRecord


def test_the_rate_is_the_last_complete_windows() -> None:
    now = [0.0]
    rate = RecordRate(window_s=0.5, clock=lambda: now[0])
    for _ in range(100):
        rate.add()
        now[0] += 0.001  # 1000 a second, for 0.1 s: no window complete yet
    assert rate.per_s == 0.0
    for _ in range(500):
        rate.add()
        now[0] += 0.001
    assert 900 < rate.per_s < 1100
    now[0] += 2.0  # a pause: the window that ends with the next record is mostly empty
    rate.add()
    assert rate.per_s < 100


async def test_a_burst_switches_to_batching_and_back_without_reordering(
    cfg: settings.Settings,
) -> None:
    metrics = IngressMetrics()
    publisher = AudioPublisher(cfg, metrics, busy_per_s=300, quiet_per_s=100, quiet_hold_s=2.0)
    publisher.start()
    session = f"pub-{uuid.uuid4().hex[:8]}"
    seq = 0

    async def send(count: int, gap_s: float) -> None:
        nonlocal seq
        for _ in range(count):
            await publisher.publish(AudioFrame(session, seq, 0, 0.0, pcm(20)))
            seq += 1
            await asyncio.sleep(gap_s)

    try:
        # A fresh broker may take a while to give the producer its idempotence id.
        await publisher.publish(AudioFrame(f"warm-{session}", 0, 0, 0.0, pcm(20)))
        await asyncio.to_thread(publisher.flush, 30)
        assert not publisher.batching
        await send(800, 0.001)  # hundreds a second, for more than a window
        assert publisher.batching
        assert metrics.audio_batching._value.get() == 1
        # 20 a second: still batching until it has been quiet for a while.
        await send(30, 0.05)
        assert publisher.batching
        # A switch waits for the producer in use to deliver what it holds, and on
        # a fresh broker the batching one may still await its id.
        for _ in range(200):
            await send(1, 0.05)
            if not publisher.batching:
                break
        assert not publisher.batching
        assert metrics.audio_batching._value.get() == 0
        await publisher.publish(EndRecord(session, seq - 1, 0))
    finally:
        await asyncio.to_thread(publisher.stop)
    records = await audio_records(cfg, session, seq + 1)
    frames = [r for r in records if isinstance(r, AudioFrame)]
    assert [f.seq for f in frames] == list(range(seq))
    assert isinstance(records[-1], EndRecord)
