"""DeepL adapter, through the official SDK, against a local server speaking DeepL's API."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Callable

import pytest

from providers.base import ProviderError
from providers.deepl_translate import DeepLTranslator
from providers.retries import RetryPolicy
from standins.deepl import GLOSSARY, Billing, deepl_app
from standins.http import Fault, Faults, serving
from standins.programme import LINES
from wire.errors import ErrorCode

KEY = "0f5c1a9e-deepl-test-key:fx"
FAST_RETRIES = RetryPolicy(attempts=3, initial_delay=0.05, max_delay=0.2)
Keep = Callable[[DeepLTranslator], DeepLTranslator]
LINE = LINES[0]  # Hebrew


@pytest.fixture(scope="module")
def billing() -> Billing:
    return Billing()


@pytest.fixture(scope="module")
async def server(billing: Billing) -> AsyncIterator[tuple[str, Faults]]:
    async with serving(functools.partial(deepl_app, billing=billing), KEY) as served:
        yield served


@pytest.fixture
def deepl(server: tuple[str, Faults], faults: Faults, closing: Keep) -> DeepLTranslator:
    return closing(
        DeepLTranslator(
            KEY,
            server_url=server[0],
            timeout=3.0,
            retry=FAST_RETRIES,
            formality="prefer_less",
            target_variants={"en": "EN-US"},
        )
    )


async def test_translates_a_batch_in_one_request_with_the_auth_header(
    deepl: DeepLTranslator, faults: Faults
) -> None:
    results = await deepl.translate(["Good morning.", "", "The weather is nice today."], "en", "es")
    assert [r.text for r in results] == ["Buenos días. (tú)", "", "Hoy hace buen tiempo. (tú)"]
    assert not any(r.untranslated for r in results)
    translate_calls = faults.requests_to("/v2/translate")
    assert len(translate_calls) == 1
    sent = translate_calls[0]
    assert sent.headers["authorization"] == f"DeepL-Auth-Key {KEY}"
    assert sent.body["text"] == ["Good morning.", "The weather is nice today."]
    assert (sent.body["source_lang"], sent.body["target_lang"]) == ("EN", "ES")
    assert sent.body["formality"] == "prefer_less"


async def test_asks_the_v3_languages_endpoint_once_and_picks_the_configured_english(
    deepl: DeepLTranslator, faults: Faults
) -> None:
    sources, targets = await deepl.languages()
    assert {"EN", "ES", "HE"} <= sources and {"EN-US", "ES", "HE"} <= targets.keys()
    assert "EN" not in targets  # DeepL wants a variant
    (result,) = await deepl.translate(["Buenos días."], "es", "en")
    assert result.text == "Good morning."
    assert faults.requests_to("/v2/translate")[0].body["target_lang"] == "EN-US"
    await deepl.translate(["Buenos días."], "es", "en")
    (asked,) = faults.requests_to("/languages")
    assert (asked.path, asked.args) == ("/v3/languages", {"resource": "translate_text"})


@pytest.mark.parametrize(("target", "expected"), [("en", LINE.en), ("es", f"{LINE.es} (tú)")])
async def test_hebrew_is_translated_into_english_and_spanish(
    deepl: DeepLTranslator, faults: Faults, target: str, expected: str
) -> None:
    (result,) = await deepl.translate([LINE.said], "he", target)
    assert (result.text, result.untranslated) == (expected, False)
    (sent,) = faults.requests_to("/v2/translate")
    assert sent.body["source_lang"] == "HE"


async def test_strict_formality_goes_only_to_targets_that_take_it(
    server: tuple[str, Faults], faults: Faults, closing: Keep
) -> None:
    strict = closing(DeepLTranslator(KEY, server_url=server[0], formality="less"))
    (hebrew,) = await strict.translate([LINE.en], "en", "he")  # Hebrew has no formality
    (spanish,) = await strict.translate(["Good morning."], "en", "es")
    to_hebrew, to_spanish = faults.requests_to("/v2/translate")
    assert "formality" not in to_hebrew.body and to_spanish.body["formality"] == "less"
    assert spanish.text == "Buenos días. (tú)" and not hebrew.untranslated


async def test_a_pair_deepl_does_not_list_comes_back_untranslated(
    deepl: DeepLTranslator, faults: Faults
) -> None:
    (result,) = await deepl.translate(["Bonjour"], "xx", "en")
    assert (result.text, result.untranslated) == ("Bonjour", True)
    assert not faults.requests_to("/v2/translate")


async def test_a_language_deepl_refuses_is_language_unsupported(
    deepl: DeepLTranslator, faults: Faults
) -> None:
    await deepl.languages()
    faults.plan(Fault(400, body={"message": "Value for 'target_lang' not supported."}))
    with pytest.raises(ProviderError) as raised:
        await deepl.translate(["Good morning."], "en", "es")
    assert raised.value.code is ErrorCode.LANGUAGE_UNSUPPORTED
    assert len(faults.requests_to("/v2/translate")) == 1  # not retried


async def test_billing_counts_the_characters_of_the_source_text(
    deepl: DeepLTranslator, server: tuple[str, Faults], billing: Billing
) -> None:
    before = billing.characters
    await deepl.translate([LINE.said, "", "Good morning."], "he", "es")
    assert billing.characters - before == len(LINE.said) + len("Good morning.")


async def test_same_language_is_returned_unchanged_without_a_request(
    deepl: DeepLTranslator, faults: Faults
) -> None:
    (result,) = await deepl.translate(["Hello"], "en", "en")
    assert (result.text, result.untranslated) == ("Hello", False)
    assert not faults.seen


async def test_a_glossary_named_by_name_is_found_and_used(
    deepl: DeepLTranslator, faults: Faults
) -> None:
    (result,) = await deepl.translate(
        ["Big Brother starts now."], "en", "es", glossary="livedub-shows"
    )
    assert result.text == "Gran Hermano empieza ahora. (tú)"
    assert faults.requests_to("/v2/translate")[0].body["glossary_id"] == GLOSSARY["glossary_id"]


async def test_an_unknown_glossary_is_skipped_with_a_warning(
    deepl: DeepLTranslator, faults: Faults, caplog: pytest.LogCaptureFixture
) -> None:
    (result,) = await deepl.translate(["Big Brother starts now."], "en", "es", glossary="nope")
    assert result.text == "Big Brother empieza ahora. (tú)"
    assert "no DeepL glossary 'nope'" in caplog.text


async def test_a_refused_key_is_provider_auth_and_never_shows_the_key(
    server: tuple[str, Faults], faults: Faults, closing: Keep, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = closing(DeepLTranslator("wrong-secret-key", server_url=server[0], retry=FAST_RETRIES))
    with pytest.raises(ProviderError) as raised:
        await wrong.translate(["Good morning."], "en", "es")
    assert raised.value.code is ErrorCode.PROVIDER_AUTH
    assert len(faults.seen) == 1  # not retried
    for text in (str(raised.value), repr(raised.value), caplog.text, repr(wrong)):
        assert "wrong-secret-key" not in text


async def test_401_is_provider_auth(deepl: DeepLTranslator, faults: Faults) -> None:
    faults.plan(Fault(401))
    with pytest.raises(ProviderError) as raised:
        await deepl.translate(["Good morning."], "en", "es")
    assert raised.value.code is ErrorCode.PROVIDER_AUTH


async def test_429_is_retried_after_the_time_the_server_asks(
    deepl: DeepLTranslator, faults: Faults
) -> None:
    await deepl.languages()
    faults.reset()
    faults.plan(Fault(429, retry_after=0.6))
    started = time.monotonic()
    (result,) = await deepl.translate(["Good morning."], "en", "es")
    assert result.text == "Buenos días. (tú)"
    first, second = faults.requests_to("/v2/translate")
    assert second.at - first.at >= 0.6  # far above the 0.05 s backoff: Retry-After honoured
    assert time.monotonic() - started < 2.5


async def test_persistent_429_is_provider_rate_limited(
    deepl: DeepLTranslator, faults: Faults
) -> None:
    await deepl.languages()
    faults.plan(*[Fault(429, retry_after=0.1)] * 5)
    with pytest.raises(ProviderError) as raised:
        await deepl.translate(["Good morning."], "en", "es")
    assert raised.value.code is ErrorCode.PROVIDER_RATE_LIMITED
    assert raised.value.retry_after == pytest.approx(0.1)
    assert len(faults.requests_to("/v2/translate")) == FAST_RETRIES.attempts


async def test_5xx_is_retried_then_succeeds(deepl: DeepLTranslator, faults: Faults) -> None:
    await deepl.languages()
    faults.plan(Fault(503), Fault(500))
    (result,) = await deepl.translate(["Good morning."], "en", "es")
    assert result.text == "Buenos días. (tú)"
    assert len(faults.requests_to("/v2/translate")) == 3


async def test_persistent_5xx_is_provider_unavailable(
    deepl: DeepLTranslator, faults: Faults
) -> None:
    await deepl.languages()
    faults.plan(*[Fault(502)] * 5)
    with pytest.raises(ProviderError) as raised:
        await deepl.translate(["Good morning."], "en", "es")
    assert raised.value.code is ErrorCode.PROVIDER_UNAVAILABLE


async def test_a_stalled_server_is_provider_timeout(
    server: tuple[str, Faults], faults: Faults, closing: Keep
) -> None:
    quick = closing(DeepLTranslator(KEY, server_url=server[0], timeout=0.5, retry=FAST_RETRIES))
    faults.plan(Fault(200, stall=1.5))
    started = time.monotonic()
    with pytest.raises(ProviderError) as raised:
        await quick.translate(["Good morning."], "en", "es")
    assert raised.value.code is ErrorCode.PROVIDER_TIMEOUT
    assert time.monotonic() - started < 1.0
