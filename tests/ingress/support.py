"""Helpers for the ingress tests: authenticated callers, socket reads with timeouts, Kafka I/O."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from quart.testing.connections import TestWebsocketConnection as Socket
from quart.testing.connections import WebsocketDisconnectError
from quart.typing import TestAppProtocol as ServedApp
from quart.typing import TestClientProtocol as Client

import settings
from ingress.dev_token import mint_dev_token
from wire import audio
from wire.events import ResultEvent, event_id

__all__ = ["Caller", "Client", "ServedApp", "Socket"]

WAIT_S = 15.0


@dataclass
class Caller:
    """A user of one app: bearer token, CSRF token, JSON calls."""

    client: Client
    cfg: settings.Settings
    user: str
    tier: str = "free"

    @property
    def token(self) -> str:
        return mint_dev_token(self.cfg, self.user, self.tier)

    def headers(self, csrf: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if csrf is not None:
            headers["X-CSRF-Token"] = csrf
        return headers

    async def csrf(self) -> str:
        response = await self.client.get("/api/v1/auth/csrf", headers=self.headers())
        assert response.status_code == 200, await response.get_data()
        token: str = (await response.get_json())["csrf_token"]
        return token

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        csrf = await self.csrf() if method in ("POST", "PUT", "DELETE") else None
        response = await self.client.open(
            path, method=method, headers=self.headers(csrf), json=body
        )
        return response.status_code, await response.get_json()

    async def create_session(self, **body: Any) -> dict[str, Any]:
        status, answer = await self.call("POST", "/api/v1/dubbing/sessions", body)
        assert status == 201, answer
        created: dict[str, Any] = answer
        return created


def ws_path(session_id: str) -> str:
    """The stream socket's path for a session."""
    return f"/api/v1/dubbing/ws/{session_id}"


async def receive_json(ws: Socket, timeout: float = WAIT_S) -> dict[str, Any]:
    raw = await asyncio.wait_for(ws.receive(), timeout)
    message: dict[str, Any] = json.loads(raw)
    return message


async def receive_until(ws: Socket, wanted: str, timeout: float = WAIT_S) -> list[dict[str, Any]]:
    """Messages up to and including the first of type or status `wanted`."""
    seen = []
    while True:
        message = await receive_json(ws, timeout)
        seen.append(message)
        if wanted in (message.get("type"), message.get("status")):
            return seen


async def closed_with(ws: Socket, timeout: float = WAIT_S) -> tuple[int, list[Any]]:
    """Read until the server closes: its close code and the messages before it."""
    before = []
    while True:
        try:
            raw = await asyncio.wait_for(ws.receive(), timeout)
        except WebsocketDisconnectError as closed:
            return closed.args[0], before
        before.append(json.loads(raw))


async def authenticate(
    ws: Socket,
    caller: Caller,
    last_event_id: str | None = None,
    audio_position_ms: int | None = None,
) -> dict[str, Any]:
    hello: dict[str, Any] = {"type": "auth", "token": caller.token}
    if last_event_id is not None:
        hello["last_event_id"] = last_event_id
    if audio_position_ms is not None:
        hello["audio_position_ms"] = audio_position_ms
    await ws.send(json.dumps(hello))
    connected = await receive_json(ws)
    assert connected["status"] == "connected", connected
    return connected


def read_audio(
    cfg: settings.Settings,
    session_id: str,
    count: int,
    timeout: float = WAIT_S,
    until_end: bool = False,
) -> list[audio.AudioRecord]:
    """The first `count` records of a session on the audio topic (blocking).

    `until_end`: fewer when the session's end record comes first.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": cfg.kafka_bootstrap,
            "group.id": "unused",  # assign() below: no group to join, so no join delay
            "enable.auto.commit": "false",
        }
    )
    partitions = consumer.list_topics(cfg.topic_audio, timeout=10).topics[cfg.topic_audio]
    consumer.assign(
        [TopicPartition(cfg.topic_audio, p, OFFSET_BEGINNING) for p in partitions.partitions]
    )
    records: list[audio.AudioRecord] = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < count and time.monotonic() < deadline:
            if until_end and records and isinstance(records[-1], audio.EndRecord):
                break
            for message in consumer.consume(100, 0.2):
                if message.error() is None and message.key() == session_id.encode():
                    records.append(audio.decode(message.value() or b""))
    finally:
        consumer.close()
    return records


async def audio_records(
    cfg: settings.Settings, session_id: str, count: int, until_end: bool = False
) -> list[audio.AudioRecord]:
    return await asyncio.to_thread(read_audio, cfg, session_id, count, WAIT_S, until_end)


def produce_results(cfg: settings.Settings, partition: int, events: list[ResultEvent]) -> None:
    """Put events on the results topic as the flow does: keyed by session, to a partition."""
    producer = Producer({"bootstrap.servers": cfg.kafka_bootstrap})
    for event in events:
        producer.produce(
            cfg.topic_results,
            value=event.to_json(),
            key=event.session_id.encode(),
            partition=partition,
        )
    assert producer.flush(10) == 0


def pcm(ms: int) -> bytes:
    return b"\x01\x00" * (16 * ms)


async def reply_partition(cfg: settings.Settings, session_id: str, nth: int = 1) -> int:
    """The partition the session's `nth` start record asks results to be routed to."""
    records = await audio_records(cfg, session_id, nth)
    starts = [r for r in records if isinstance(r, audio.StartRecord)]
    partition = starts[nth - 1].settings.reply_partition
    assert partition is not None
    return partition


def transcript(session_id: str, segment: int, text: str | None = None) -> ResultEvent:
    """A final transcript event as the flow makes it."""
    return ResultEvent(
        "transcript",
        event_id(session_id, segment, "transcript", "final"),
        session_id,
        segment,
        data=text or f"segment {segment}",
    )
