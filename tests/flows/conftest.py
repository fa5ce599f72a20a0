"""Offline speech engines for flow tests, loaded once per test run."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

import settings
from flows.speech_steps import SpeechProviders


@pytest.fixture(scope="session")
def offline_engines() -> Callable[[], SpeechProviders]:
    """Whisper, Apertium and Piper as configured by default; models load on first use."""
    cfg = settings.load()
    return functools.cache(lambda: SpeechProviders.from_settings(cfg))
