"""ISO 639 language codes, from Debian's iso-codes tables (no hand-kept list).

livedub speaks ISO 639-1 (`en`, `es`, `he`); some engines name languages in
ISO 639-3 (apertium's `eng-spa`).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

ISO_639_3 = Path("/usr/share/iso-codes/json/iso_639-3.json")


@functools.cache
def _codes() -> tuple[dict[str, str], dict[str, str]]:
    try:
        entries = json.loads(ISO_639_3.read_text(encoding="utf-8"))["639-3"]
    except FileNotFoundError:
        raise RuntimeError(
            f"{ISO_639_3} is missing: install the Debian package iso-codes"
        ) from None
    two_to_three = {e["alpha_2"]: e["alpha_3"] for e in entries if "alpha_2" in e}
    three_to_two = {three: two for two, three in two_to_three.items()}
    return two_to_three, three_to_two


def alpha3(code: str) -> str | None:
    """`en` -> `eng`; None for a code ISO 639 does not know."""
    return _codes()[0].get(code.lower())


def alpha2(code: str) -> str | None:
    """`eng` -> `en`; None for a language with no two-letter code."""
    return _codes()[1].get(code.lower())
