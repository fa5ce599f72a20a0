"""Decoding audio-topic messages: records go on, anything malformed becomes an error event.

The flow never crashes on input: a bad record is answered with an `error`
event for the session named by the message key (when there is one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeGuard

from bytewax.connectors.kafka import KafkaError, KafkaSourceMessage

from wire import audio
from wire.errors import ErrorCode
from wire.events import ResultEvent, error_event

RawMessage = KafkaSourceMessage[bytes | None, bytes | None] | KafkaError[bytes | None, bytes | None]


@dataclass(frozen=True)
class Rejected:
    """A message that is not a valid audio record, with where it came from and why."""

    session_id: str
    reason: str
    where: str


def decode_message(message: RawMessage) -> audio.AudioRecord | Rejected:
    """Decode a Kafka message's value into an audio record, or say why not."""
    if isinstance(message, KafkaError):
        inner = message.msg
        return Rejected(_key_text(inner.key), f"kafka error: {message.err}", _where(inner))
    partition, offset = message.partition, message.offset
    position = (partition, offset) if partition is not None and offset is not None else None
    try:
        record = audio.decode(message.value or b"", position)
    except audio.RecordError as exc:
        return Rejected(_key_text(message.key), str(exc), _where(message))
    if message.key is not None and message.key != audio.session_key(record):
        return Rejected(
            _key_text(message.key), "record session id differs from its key", _where(message)
        )
    return record


def rejected_event(rejected: Rejected) -> ResultEvent:
    """The error event a rejected record produces (id unique to its topic position)."""
    return error_event(
        rejected.session_id,
        ErrorCode.RECORD_INVALID,
        f"audio record rejected: {rejected.reason}",
        part=rejected.where,
    )


def is_record(item: audio.AudioRecord | Rejected) -> TypeGuard[audio.AudioRecord]:
    """Branch predicate: a decoded record (True) or a rejection (False)."""
    return not isinstance(item, Rejected)


def _key_text(key: bytes | None) -> str:
    if not key:
        return "unknown"
    return key.decode("utf-8", errors="replace")[: audio.MAX_SESSION_ID]


def _where(message: KafkaSourceMessage[bytes | None, bytes | None]) -> str:
    return f"{message.partition}-{message.offset}"
