"""Kafka topic names shared by the ingress and the flow (settings may override them)."""

from __future__ import annotations

AUDIO = "livedub.audio"
"""Audio records (start, frames, end), keyed by session id."""

RESULTS = "livedub.results"
"""Result events (transcript, subtitle, audio, status, error, usage), keyed by session id."""
