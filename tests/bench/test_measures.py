"""The bench's figures from what viewers saw: the steady window, overheads and lag."""

from __future__ import annotations

from typing import Any

from bench.clients import StreamPlan, StreamResult
from bench.measures import (
    first_text_ms,
    lag_ms,
    most_streams_held,
    over_the_run,
    overhead_split_ms,
    overheads_to_viewer_ms,
    p50_by_minute,
    partial_rewrites,
    pipeline_overheads_ms,
    slowest_events,
    steady_window,
    thirds,
    utterance_latencies,
)


def _viewer(
    started: float, stopped: float, events: list[tuple[float, dict[str, Any]]]
) -> StreamResult:
    return StreamResult(started_ms=started, stopped_ms=stopped, events=events)


def _final(
    kind: str, end_ms: int, source: float, provider: float = 0.0, sent: float | None = None
) -> dict[str, Any]:
    """A final event; the ingress sent it 10 ms after its frame came in, plus provider time."""
    return {
        "type": kind,
        "segment": end_ms,
        "end_ms": end_ms,
        "final": True,
        "source_ingress_ms": source,
        "provider_ms": provider,
        "sent_ms": source + 10.0 + provider if sent is None else sent,
    }


def test_the_steady_window_leaves_out_the_crowd_arriving_and_leaving() -> None:
    viewers = [_viewer(1000, 60000, []), _viewer(1500, 50000, [])]
    assert steady_window(viewers) == (3500, 50000)  # last to start + 2 s, first to stop


def test_overheads_are_the_pipelines_own_time_up_to_the_socket_in_arrival_order() -> None:
    events = [
        (5000.0, _final("transcript", 3000, source=4990.0, sent=4996.0)),
        (4000.0, _final("subtitle", 2000, source=3900.0, provider=60.0, sent=3990.0)),
        (2000.0, _final("audio", 1000, source=1990.0)),  # before the window: crowd arriving
        (9500.0, _final("audio", 9000, source=9490.0)),  # after the first viewer stopped
        (6000.0, {"type": "transcript", "final": False, "source_ingress_ms": 5000.0}),
        (6500.0, {**_final("audio", 6000, source=6400.0), "sent_ms": None}),  # not timed
    ]
    viewers = [_viewer(1000, 9000, events), _viewer(1500, 20000, [])]
    assert pipeline_overheads_ms(viewers) == [30.0, 6.0]
    # Up to the viewer's receipt: the socket and the viewer's own delay count too.
    assert overheads_to_viewer_ms(viewers) == [40.0, 10.0]


def test_lag_counts_from_the_viewers_schedule_so_late_frames_show() -> None:
    # Speech ending at 3050 ms was heard at start + 3050, though its frame left at start + 3100.
    events = [
        (1000 + 3050 + 400.0, _final("transcript", 3050, source=0)),
        (1000 + 6000 + 900.0, _final("transcript", 6000, source=0)),
        (1000 + 6000 + 950.0, _final("subtitle", 6000, source=0)),  # not a transcript
    ]
    viewers = [_viewer(1000, 60000, events)]
    assert lag_ms(viewers) == [400.0, 900.0]


def test_overheads_split_where_the_segmenter_closed_the_segment() -> None:
    events = [
        (5000.0, {**_final("transcript", 3000, 4990.0, sent=4999.0), "segmented_ms": 4994.0}),
        (4000.0, {**_final("subtitle", 2000, 3900.0, 60.0, sent=3990.0), "segmented_ms": 3920}),
        (4500.0, _final("transcript", 2500, source=4480.0)),  # no stamp: not split
    ]
    split = overhead_split_ms([_viewer(1000, 9000, events), _viewer(1500, 20000, [])])
    assert split == {"to_segmenter": [20.0, 4.0], "after_segmenter": [10.0, 5.0]}


def test_the_slowest_events_come_in_arrival_order_with_their_time_in_the_window() -> None:
    events = [
        (4001.0 + 100 * i, {**_final("transcript", i, 3990.0 + 100 * i), "segmented_ms": 1})
        for i in range(10)
    ]
    events[7] = (4701.0, {**_final("transcript", 7, 4600.0, sent=4700.0), "segmented_ms": 4650.0})
    events[2] = (4201.0, {**_final("transcript", 2, 4150.0, sent=4200.0), "segmented_ms": 4170.0})
    slowest = slowest_events([_viewer(1000, 9000, events), _viewer(1500, 20000, [])], limit=2)
    # The window starts at 3500 ms (the last viewer in + 2 s).
    assert slowest == [
        {"at_s": 0.7, "overhead_ms": 50.0, "to_segmenter_ms": 20.0},
        {"at_s": 1.2, "overhead_ms": 100.0, "to_segmenter_ms": 50.0},
    ]


def test_capacity_is_the_most_streams_held_with_every_smaller_count_holding() -> None:
    assert most_streams_held({100: True, 400: True, 500: False}) == 400
    assert most_streams_held({500: True, 100: True, 400: False}) == 100  # 500 was luck
    assert most_streams_held({10: False, 100: True}) == 0
    assert most_streams_held({}) == 0


def test_speech_latencies_run_in_the_order_utterances_ended_across_viewers() -> None:
    # Each viewer is slower late in the run; listed viewer by viewer, the first
    # third would be one viewer's whole run and hide that.
    early_late = [(1_000, 400.0), (70_000, 900.0)]
    viewers = [
        _viewer(
            offset,
            200_000,
            [(offset + end + ms, _final("subtitle", end, source=0.0)) for end, ms in early_late],
        )
        for offset in (0.0, 500.0, 1_000.0)
    ]
    timed = utterance_latencies(viewers, "subtitle", final_only=True)
    assert [round(at) for at, _ in timed] == [1_000, 1_500, 2_000, 70_000, 70_500, 71_000]
    first, last = thirds([latency for _, latency in timed])
    assert (first["p50"], last["p50"]) == (400.0, 900.0)
    assert p50_by_minute(timed) == [400.0, 900.0]
    assert over_the_run(timed)[::3] == [(0.0, 400.0), (69.0, 900.0)]


def _text(kind: str, segment: int, start_ms: int, data: str, final: bool) -> dict[str, Any]:
    return {"type": kind, "segment": segment, "start_ms": start_ms, "data": data, "final": final}


def test_first_text_counts_from_the_speech_starting_to_the_first_words_shown() -> None:
    plan = StreamPlan(b"", speech_ends_ms=(3000, 8000), speech_starts_ms=(1000, 6000))
    viewer = _viewer(
        100_000.0,
        110_000.0,
        [
            # Segment 0 starts 240 ms before the speech (the VAD's pre-roll): its partial first.
            (101_900.0, _text("transcript", 0, 760, "good", final=False)),
            (103_400.0, _text("transcript", 0, 760, "good evening", final=True)),
            (103_500.0, _text("subtitle", 0, 760, "buenas noches", final=True)),
            (107_200.0, _text("subtitle", 1, 5760, "hola", final=True)),  # no partial: the final
            (107_300.0, {"type": "audio", "segment": 1, "start_ms": 5760}),
        ],
    )
    assert first_text_ms([viewer], [plan]) == [900.0, 1200.0]


def test_partial_words_a_later_partial_replaced_are_counted_not_those_only_the_final_changed() -> (
    None
):
    viewer = _viewer(
        0.0,
        1.0,
        [
            (1.0, _text("transcript", 0, 0, "the whether", final=False)),
            (2.0, _text("transcript", 0, 0, "The weather is", final=False)),  # replaces "whether"
            (3.0, _text("transcript", 0, 0, "the weather is nice", final=False)),
            (4.0, _text("transcript", 0, 0, "The weather is fine.", final=True)),  # "nice": final's
        ],
    )
    rewrites = partial_rewrites([viewer])
    assert rewrites == {"words": 9, "replaced": 1, "share": 0.1111, "differs_from_final": 2}
    assert partial_rewrites([viewer], "subtitle")["share"] is None
