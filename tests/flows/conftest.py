"""Offline speech engines for flow tests, loaded once per test run."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import settings
from flows.speech_steps import SpeechProviders


@pytest.fixture(scope="session")
def offline_engines() -> Callable[[], SpeechProviders]:
    """Whisper, Apertium and Piper as configured by default; models load once per process.

    Each call builds a worker's own engines, as the flow does: what they keep in
    flight belongs to the event loop of the worker that uses them.
    """
    cfg = settings.load()
    return lambda: SpeechProviders.from_settings(cfg)
