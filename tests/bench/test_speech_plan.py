"""The viewers' programme: a looped block, joined at any point."""

from __future__ import annotations

from bench.speech_plan import Programme, looped_plan

# 10 s of audio, three utterances.
BLOCK = Programme(bytes(32 * 10_000), (1500, 4500, 7500), (3000, 6000, 9000))


def test_the_loop_repeats_the_block_and_every_utterance_end() -> None:
    plan = looped_plan(BLOCK, 20)
    assert len(plan.pcm) == 2 * len(BLOCK.pcm)
    assert plan.speech_ends_ms == (3000, 6000, 9000, 13000, 16000, 19000)
    assert plan.speech_starts_ms == (1500, 4500, 7500, 11500, 14500, 17500)


def test_a_later_viewer_hears_the_same_utterances_shifted_by_whole_frames() -> None:
    plan = looped_plan(BLOCK, 20, phase_ms=4050)  # 4.05 s in: the frame boundary at 4.0 s
    assert len(plan.pcm) == 2 * len(BLOCK.pcm)
    assert plan.speech_ends_ms == (2000, 5000, 9000, 12000, 15000, 19000)
    assert plan.speech_starts_ms == (500, 3500, 7500, 10500, 13500, 17500)
