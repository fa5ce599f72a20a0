"""Prometheus metrics: one registry per app, counting what the socket and the API do."""

from __future__ import annotations

import asyncio
import json

from prometheus_client.parser import text_string_to_metric_families

from tests.ingress.support import (
    Caller,
    authenticate,
    pcm,
    produce_results,
    receive_json,
    reply_partition,
)
from wire.events import ResultEvent, event_id


async def scrape(caller: Caller) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await caller.client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = (await response.get_data()).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_count_frames_events_errors_and_latency(caller: Caller) -> None:
    sid = (await caller.create_session())["session_id"]
    async with caller.client.websocket(f"/api/v1/dubbing/ws/{sid}") as ws:
        await authenticate(ws, caller)
        await ws.send(pcm(100))
        await ws.send(pcm(200))
        await ws.send(b"\x00" * 3)
        partition = await reply_partition(caller.cfg, sid)
        subtitle = ResultEvent("subtitle", event_id(sid, 0, "subtitle", "final"), sid, 0, "hi")
        await asyncio.to_thread(produce_results, caller.cfg, partition, [subtitle, subtitle])
        await ws.send(json.dumps({"type": "ping"}))
        seen = [await receive_json(ws) for _ in range(4)]
        assert {m["type"] for m in seen} == {"status", "error", "subtitle"}
        during = await scrape(caller)
    after = await scrape(caller)
    assert during[("livedub_ingress_sessions_active", ())] == 1
    assert after[("livedub_ingress_sessions_active", ())] == 0
    assert after[("livedub_ingress_frames_in_total", ())] == 2
    assert after[("livedub_ingress_bytes_in_total", ())] == 3200 + 6400
    assert after[("livedub_ingress_events_out_total", (("type", "subtitle"),))] == 1
    assert after[("livedub_ingress_events_out_total", (("type", "status"),))] >= 3
    assert after[("livedub_ingress_duplicates_dropped_total", ())] == 1
    assert after[("livedub_ingress_errors_total", (("code", "frame_invalid"),))] == 1
    assert after[("livedub_ingress_delivery_latency_seconds_count", ())] == 1
    assert after[("livedub_ingress_slow_consumer_drops_total", ())] == 0


async def test_http_errors_are_counted_by_code(caller: Caller) -> None:
    await caller.client.get("/api/v1/auth/csrf")
    await caller.client.get("/api/v1/nothing")
    after = await scrape(caller)
    assert after[("livedub_ingress_errors_total", (("code", "auth_required"),))] == 1
    assert after[("livedub_ingress_errors_total", (("code", "not_found"),))] == 1
