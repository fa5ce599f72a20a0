"""Offline speech engines for flow tests, loaded once per test run; the results topic's reader."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import pytest

import settings
from devstack.kafka_io import ResultReader
from flows.speech_steps import SpeechProviders


@pytest.fixture(scope="session")
def offline_engines() -> Callable[[], SpeechProviders]:
    """Whisper, Apertium and Piper as configured by default; models load on first use."""
    cfg = settings.load()
    return functools.cache(lambda: SpeechProviders.from_settings(cfg))


@pytest.fixture
def results(cfg: settings.Settings) -> Iterator[ResultReader]:
    """Every event on this test's results topic, from the beginning."""
    reader = ResultReader(cfg.kafka_bootstrap, cfg.topic_results)
    try:
        yield reader
    finally:
        reader.close()
