"""The benchmark's picture is drawn from what a run reports, whichever parts it ran."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.plot import plot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _speech(p50: float) -> dict[str, Any]:
    return {
        "utterance_end_to_final_subtitle_ms": {"p50": p50},
        "utterance_end_to_first_audio_ms": {"p50": p50 + 30},
        "final_subtitle_over_run_s_ms": [[0.0, p50], [4.2, p50 + 10], [9.9, p50 - 5]],
    }


NO_OP = {
    "baselines": {"kafka_round_trip_ms": {"p99": 2.5}, "websocket_echo_ms": {"p99": 0.7}},
}


CLOUD_ONLY = {
    "speech": {},
    "cloud": {
        "providers_ms": {"final_subtitle_ms": 550.0, "first_audio_ms": 700.0},
        "50": _speech(640.0),
    },
}


def _png_width(path: Path) -> int:
    return int.from_bytes(path.read_bytes()[16:20], "big")  # IHDR's width


@pytest.mark.parametrize(
    ("report", "overheads"),
    [
        ({**NO_OP, "speech": {"1": _speech(530.0), "4": _speech(560.0)}}, {100: [5.0, 6.0, 13.0]}),
        ({**NO_OP, "speech": {}}, {10: [4.0], 100: [5.0, 9.0]}),  # --speech-streams ""
        (  # each load with its own idle limit
            {**NO_OP, "capacity": {"100": {"kafka_round_trip_idle_ms": {"p99": 1.4}}}},
            {100: [5.0, 9.0]},
        ),
        (  # and two bare hops beside each load
            {
                **NO_OP,
                "capacity": {
                    "100": {
                        "kafka_round_trip_idle_ms": {"p99": 1.4},
                        "kafka_two_hops_beside_ms": {"p99": 6.1},
                    }
                },
            },
            {100: [5.0, 9.0]},
        ),
        ({"speech": {"4": _speech(560.0)}}, {}),  # the soak: speech only
        (CLOUD_ONLY, {}),  # --providers cloud: Hebrew on the stand-ins only
    ],
)
def test_every_kind_of_run_gets_its_picture(
    tmp_path: Path, report: dict[str, Any], overheads: dict[int, list[float]]
) -> None:
    path = tmp_path / "bench.png"

    plot(report, overheads, path)

    assert path.read_bytes().startswith(PNG_MAGIC)


def test_a_run_draws_only_the_panels_it_measured(tmp_path: Path) -> None:
    widths = {}
    for name, report, overheads in (
        ("everything", {**NO_OP, **CLOUD_ONLY, "speech": {"4": _speech(560.0)}}, {100: [5.0]}),
        ("soak", {"speech": {"4": _speech(560.0)}}, {}),
        ("cloud", CLOUD_ONLY, {}),
    ):
        plot(report, overheads, tmp_path / f"{name}.png")
        widths[name] = _png_width(tmp_path / f"{name}.png")

    # Four panels, two (speech, and over the run), one: no empty panel beside them.
    assert widths["everything"] == pytest.approx(4 * widths["cloud"], rel=0.01)
    assert widths["soak"] == pytest.approx(2 * widths["cloud"], rel=0.01)
