"""Audio records on the audio topic: a session's start, its PCM frames, its end.

Binary, versioned, compact. Every record begins with a 4-byte header:
magic `LD`, version (3), kind. Frames carry raw PCM s16le 16 kHz mono after a
fixed header, never base64. The start record's settings are a small JSON body:
it is sent once per connection, so readability wins there.

    header   : b"LD" | u8 version | u8 kind
    frame    : header | u8 len | session id | u64 seq | u64 capture_ms | u64 ingress_us
               | u64 audio_offset + 1 (0: unknown) | pcm
    start    : header | u8 len | session id | JSON settings
    end      : header | u8 len | session id | u64 last seq | u64 ingress_ms

Version 2 stamps a frame's receipt in microseconds: whole milliseconds made
every pipeline timing (receipt to the event going out) up to a millisecond
long. Version 3 adds where the frame lies in the session's audio as the client
counts it (`audio_offset`), so the flow can drop the audio a reconnecting
client sends again. Version 1 and 2 records (ingress_ms in a v1 frame, no
offset before v3) still decode, so recordings made before replay as they were.
"""

from __future__ import annotations

import json
import struct
from dataclasses import asdict, dataclass, field
from typing import Literal

MAGIC = b"LD"
VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
SAMPLE_RATE = 16000
BYTES_PER_SAMPLE = 2
KIND_START, KIND_FRAME, KIND_END = 1, 2, 3

_HEADER = struct.Struct(">2sBB")
_FRAME = struct.Struct(">QQQ")
_OFFSET = struct.Struct(">Q")
_END = struct.Struct(">QQ")
MAX_SESSION_ID = 128

Mode = Literal["dubbing", "subtitles", "both"]


class RecordError(ValueError):
    """A record that cannot be decoded: wrong magic, unknown version or kind, truncated."""


@dataclass(frozen=True)
class SessionSettings:
    """What the flow needs to know about a session, carried by its start record."""

    session_id: str
    user_id: str
    tier: str = "free"
    audio_dubbing: bool = True
    live_subtitles: bool = False
    source_language: str = "he"
    target_language: str = "en"
    subtitle_language: str | None = None
    voice: str | None = None
    # The results-topic partition read by the ingress holding the session's socket;
    # None lets the producer partition by session key.
    reply_partition: int | None = None

    @property
    def subtitle_target(self) -> str:
        """The language subtitles are shown in (the dubbing language unless set)."""
        return self.subtitle_language or self.target_language


@dataclass(frozen=True)
class StartRecord:
    """Opens (or re-opens, after a reconnect) a session's stream; idempotent in the flow.

    `first_seq` is the sequence number the stream continues from: the flow stops
    waiting for anything before it (a reconnect starts a fresh block of numbers,
    so numbers a crashed ingress used but never recorded are never reused).
    """

    settings: SessionSettings
    first_seq: int = 0

    @property
    def session_id(self) -> str:
        """The session this record belongs to."""
        return self.settings.session_id


@dataclass(frozen=True)
class AudioFrame:
    """One chunk of PCM s16le 16 kHz mono with its place in the session's stream."""

    session_id: str
    seq: int
    capture_ms: int
    ingress_ms: float  # to the microsecond
    pcm: bytes
    # Where the flow read the frame: (partition, offset) on the audio topic. Not
    # encoded; lets a snapshot name the frames it holds instead of copying them.
    position: tuple[int, int] | None = field(default=None, compare=False)
    # Where the frame's first byte lies in the session's audio, as the client
    # counts it (bytes from the session's first); None: the client did not say.
    audio_offset: int | None = None

    @property
    def duration_ms(self) -> float:
        """How much audio the frame holds."""
        return len(self.pcm) / (SAMPLE_RATE * BYTES_PER_SAMPLE) * 1000.0


@dataclass(frozen=True)
class EndRecord:
    """The client ended the stream after frame `last_seq` (-1: no frames)."""

    session_id: str
    last_seq: int
    ingress_ms: int


AudioRecord = StartRecord | AudioFrame | EndRecord


def _session_bytes(session_id: str) -> bytes:
    raw = session_id.encode()
    if not raw or len(raw) > MAX_SESSION_ID:
        raise RecordError(f"session id must be 1..{MAX_SESSION_ID} bytes")
    return bytes([len(raw)]) + raw


def encode(record: AudioRecord) -> bytes:
    """Serialise a record for the audio topic."""
    if isinstance(record, AudioFrame):
        return (
            _HEADER.pack(MAGIC, VERSION, KIND_FRAME)
            + _session_bytes(record.session_id)
            + _FRAME.pack(record.seq, record.capture_ms, round(record.ingress_ms * 1000))
            + _OFFSET.pack(0 if record.audio_offset is None else record.audio_offset + 1)
            + record.pcm
        )
    if isinstance(record, StartRecord):
        fields = {**asdict(record.settings), "first_seq": record.first_seq}
        body = json.dumps(fields, separators=(",", ":")).encode()
        return _HEADER.pack(MAGIC, VERSION, KIND_START) + _session_bytes(record.session_id) + body
    return (
        _HEADER.pack(MAGIC, VERSION, KIND_END)
        + _session_bytes(record.session_id)
        + _END.pack(record.last_seq + 1, record.ingress_ms)  # +1 keeps "no frames" unsigned
    )


def decode(data: bytes, position: tuple[int, int] | None = None) -> AudioRecord:
    """Parse a record; raise RecordError with the reason for anything malformed.

    `position` is where it was read on the audio topic, kept by frames.
    """
    if len(data) < _HEADER.size + 2:
        raise RecordError("record too short")
    magic, version, kind = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise RecordError("not a livedub audio record (bad magic)")
    if version not in READABLE_VERSIONS:
        raise RecordError(f"unsupported record version {version}")
    id_len = data[_HEADER.size]
    body_at = _HEADER.size + 1 + id_len
    if id_len == 0 or len(data) < body_at:
        raise RecordError("truncated session id")
    try:
        session_id = data[_HEADER.size + 1 : body_at].decode()
    except UnicodeDecodeError as exc:
        raise RecordError("session id is not utf-8") from exc
    body = data[body_at:]
    if kind == KIND_FRAME:
        return _decode_frame(session_id, body, position, version)
    if kind == KIND_START:
        return _decode_start(session_id, body)
    if kind == KIND_END:
        if len(body) != _END.size:
            raise RecordError("end record has the wrong length")
        last_plus_one, ingress_ms = _END.unpack(body)
        return EndRecord(session_id, last_plus_one - 1, ingress_ms)
    raise RecordError(f"unknown record kind {kind}")


def _decode_frame(
    session_id: str, body: bytes, position: tuple[int, int] | None, version: int
) -> AudioFrame:
    if len(body) < _FRAME.size:
        raise RecordError("truncated frame header")
    seq, capture_ms, ingress = _FRAME.unpack_from(body)
    ingress_ms = ingress if version == 1 else ingress / 1000
    pcm_at, audio_offset = _FRAME.size, None
    if version >= 3:
        if len(body) < _FRAME.size + _OFFSET.size:
            raise RecordError("truncated frame header")
        (offset_plus_one,) = _OFFSET.unpack_from(body, _FRAME.size)
        pcm_at += _OFFSET.size
        audio_offset = offset_plus_one - 1 if offset_plus_one else None
    pcm = body[pcm_at:]
    if len(pcm) % BYTES_PER_SAMPLE:
        raise RecordError("PCM s16le payload must have an even length")
    if audio_offset is not None and audio_offset % BYTES_PER_SAMPLE:
        raise RecordError("a frame's audio offset must fall on a sample")
    return AudioFrame(session_id, seq, capture_ms, ingress_ms, pcm, position, audio_offset)


def _decode_start(session_id: str, body: bytes) -> StartRecord:
    try:
        fields = json.loads(body)
        first_seq = int(fields.pop("first_seq", 0))
        settings = SessionSettings(**fields)
    except (ValueError, TypeError, AttributeError) as exc:
        raise RecordError(f"bad start record settings: {exc}") from exc
    if settings.session_id != session_id:
        raise RecordError("start record session id does not match its header")
    if first_seq < 0:
        raise RecordError("start record first_seq must not be negative")
    return StartRecord(settings, first_seq)


def session_key(record: AudioRecord) -> bytes:
    """The Kafka key: all of a session's records go to one partition, in order."""
    return record.session_id.encode()
