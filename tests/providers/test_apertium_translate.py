"""Apertium through its command line, on stored sentences."""

from __future__ import annotations

import json
from typing import Any

import pytest

from providers.apertium_translate import ApertiumTranslator, parse_modes
from providers.base import ProviderError
from settings import ROOT
from wire.errors import ErrorCode

EXPECTED: dict[str, Any] = json.loads(
    (ROOT / "tests" / "data" / "providers" / "apertium.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("pair", ["en-es", "es-en"])
async def test_sentences_translate_as_stored(apertium: ApertiumTranslator, pair: str) -> None:
    source, target = pair.split("-")
    cases = EXPECTED[pair]
    results = await apertium.translate([c["source"] for c in cases], source, target)
    assert [r.text for r in results] == [c["expected"] for c in cases]
    assert all(
        (r.source_language, r.target_language, r.untranslated) == (source, target, False)
        for r in results
    )


async def test_a_batch_translates_each_text_as_if_alone(apertium: ApertiumTranslator) -> None:
    # "the red" then "car is fast": one run must not read them as "the red car".
    texts = ["the red", "", "car is fast", "  two\n\nlines  "]
    batch = await apertium.translate(texts, "en", "es")
    alone = [(await apertium.translate([text], "en", "es"))[0] for text in texts]
    assert [r.text for r in batch] == [r.text for r in alone]
    assert batch[1].text == ""
    assert "\n" not in batch[3].text


async def test_hebrew_has_no_engine_and_comes_back_untranslated(
    apertium: ApertiumTranslator,
) -> None:
    (result,) = await apertium.translate(["ערב טוב לכולם"], "he", "en")
    assert (result.text, result.untranslated) == ("ערב טוב לכולם", True)
    (result,) = await apertium.translate(["Buenas noches"], "es", "he")
    assert (result.text, result.untranslated) == ("Buenas noches", True)


async def test_same_language_is_unchanged(apertium: ApertiumTranslator) -> None:
    (result,) = await apertium.translate(["Good evening"], "en", "en")
    assert (result.text, result.untranslated) == ("Good evening", False)


async def test_pairs_come_from_apertium(apertium: ApertiumTranslator) -> None:
    assert {("en", "es"), ("es", "en")} <= await apertium.pairs()


def test_mode_names_map_to_iso_639_1_and_plain_modes_win() -> None:
    assert parse_modes("  eng-spa\n  spa-eng_US\n  spa-eng\n  xxx-yyy\n") == {
        ("en", "es"): "eng-spa",
        ("es", "en"): "spa-eng",
    }


async def test_a_missing_engine_is_provider_unavailable() -> None:
    missing = ApertiumTranslator(binary="apertium-not-installed")
    with pytest.raises(ProviderError) as raised:
        await missing.translate(["Hello"], "en", "es")
    assert raised.value.code is ErrorCode.PROVIDER_UNAVAILABLE


async def test_a_call_past_its_timeout_is_provider_timeout() -> None:
    impatient = ApertiumTranslator(timeout=0.001)
    with pytest.raises(ProviderError) as raised:
        await impatient.translate(["Hello"], "en", "es")
    assert raised.value.code is ErrorCode.PROVIDER_TIMEOUT
