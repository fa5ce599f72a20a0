"""What a client may send on the stream socket: PCM frames and a few JSON control messages.

Binary messages are PCM s16le 16 kHz mono: an even number of bytes, at least
10 ms and at most 1 s of audio. Text messages are JSON objects with a `type`
of at most MAX_TEXT_CHARS characters. A message over its limit is `too_large`:
the socket closes 1009 (message too big), as Hypercorn closes it for anything
over 1 MiB, which never reaches the app. Other bad messages are answered and dropped:

    {"type": "auth", "token": "<JWT>", "last_event_id": "<id>"?, "audio_position_ms": <int>?}
                                                                  first, exactly once
    {"type": "ping"} | {"type": "pause"} | {"type": "resume"} | {"type": "end"}
    {"type": "ack", "event_id": "<id>"}
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from wire.audio import BYTES_PER_SAMPLE, SAMPLE_RATE
from wire.errors import ErrorCode

BYTES_PER_MS = SAMPLE_RATE * BYTES_PER_SAMPLE // 1000
MIN_FRAME_BYTES = 10 * BYTES_PER_MS  # 320
MAX_FRAME_BYTES = 1000 * BYTES_PER_MS  # 32000
MAX_TEXT_CHARS = 16_384
EVENT_ID = Annotated[str, Field(min_length=1, max_length=512)]
# Far beyond any session (24.8 days of audio), and a 32-bit integer in every client.
MAX_AUDIO_POSITION_MS = 2**31 - 1


class Rejected(Exception):
    """A message the socket answers with an `error` event; one `too_large` also closes it."""

    def __init__(self, code: ErrorCode, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.too_large = too_large


def check_frame(pcm: bytes) -> None:
    """Pass a well-formed frame; raise Rejected with frame_invalid/too_small/too_large."""
    if len(pcm) % BYTES_PER_SAMPLE:
        raise Rejected(ErrorCode.FRAME_INVALID, "PCM s16le frames have an even number of bytes")
    if len(pcm) < MIN_FRAME_BYTES:
        raise Rejected(
            ErrorCode.FRAME_TOO_SMALL, f"frames hold at least 10 ms ({MIN_FRAME_BYTES} B)"
        )
    if len(pcm) > MAX_FRAME_BYTES:
        raise Rejected(
            ErrorCode.FRAME_TOO_LARGE,
            f"frames hold at most 1 s ({MAX_FRAME_BYTES} B)",
            too_large=True,
        )


def frame_ms(pcm: bytes) -> float:
    """How much audio a frame holds."""
    return len(pcm) / BYTES_PER_MS


class AuthMessage(BaseModel):
    """Authenticates the socket; `last_event_id` asks for the results missed since.

    `audio_position_ms` says where in the session's audio (as the client counts
    what it sent) this socket's first frame begins: a reconnecting client sends
    its last seconds again from there, and the flow drops what it already has.
    """

    type: Literal["auth"]
    token: Annotated[str, Field(min_length=1, max_length=8192)]
    last_event_id: EVENT_ID | None = None
    audio_position_ms: Annotated[int, Field(strict=True, ge=0, le=MAX_AUDIO_POSITION_MS)] | None = (
        None
    )


class PingMessage(BaseModel):
    """Answered with a `pong` status."""

    type: Literal["ping"]


class PauseMessage(BaseModel):
    """The client stopped sending audio for now."""

    type: Literal["pause"]


class ResumeMessage(BaseModel):
    """The client sends audio again."""

    type: Literal["resume"]


class EndMessage(BaseModel):
    """No more audio: finish the results, then close."""

    type: Literal["end"]


class AckMessage(BaseModel):
    """The client has the results up to and including `event_id`."""

    type: Literal["ack"]
    event_id: EVENT_ID


ClientMessage = AuthMessage | PingMessage | PauseMessage | ResumeMessage | EndMessage | AckMessage
_MESSAGES: TypeAdapter[ClientMessage] = TypeAdapter(
    Annotated[ClientMessage, Field(discriminator="type")]
)


def parse_message(text: str) -> ClientMessage:
    """A control message, or Rejected(message_invalid) saying what is wrong."""
    if len(text) > MAX_TEXT_CHARS:
        raise Rejected(
            ErrorCode.MESSAGE_INVALID,
            f"control messages hold at most {MAX_TEXT_CHARS} characters",
            too_large=True,
        )
    try:
        return _MESSAGES.validate_json(text)
    except ValidationError as exc:
        problem = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in problem["loc"]) or "message"
        raise Rejected(ErrorCode.MESSAGE_INVALID, f"{where}: {problem['msg']}") from exc
