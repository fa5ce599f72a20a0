"""What the handlers share: configuration, state calls, Kafka clients, local streams.

Built with the app; its network clients connect while the app serves
(`start`/`stop` from `while_serving`), so tests that never serve open nothing.
"""

from __future__ import annotations

import asyncio
from typing import Protocol, TypeVar

import redis.asyncio
from quart import current_app
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

import settings
from ingress.audio_publisher import AudioPublisher
from ingress.auth import JwtVerifier
from ingress.client_address import trusted_networks
from ingress.csrf import CsrfTokens
from ingress.flood_guard import FloodGuard
from ingress.language_pairs import ServedPairs
from ingress.metrics import IngressMetrics
from ingress.results_fanout import ResultsFanout
from ingress.state_flusher import StateDelta, StateFlusher, StateSource, write_state
from providers import registry
from providers.base import VoiceCatalog
from state.auth_failures import AuthFailures
from state.errors import StateError
from state.quotas import Quotas
from state.rate_limits import RateLimits
from state.result_routes import ResultRoutes
from state.scripts import AsyncScriptRunner, ScriptCall
from state.session_holds import SessionHolds
from state.sessions import Sessions
from state.subtitle_log import SubtitleLogs
from state.usage import Usage

EXTENSION = "livedub"
T = TypeVar("T")


REDIS_MAX_CONNECTIONS = 64
REDIS_POOL_WAIT_S = 5.0
# A pooled connection may have outlived its server (Redis restarted): a command
# that finds it dead is sent again on a fresh one, instead of failing the caller
# once per stale connection. Only connection errors: a timeout may have run it.
REDIS_RETRY = Retry(ExponentialBackoff(cap=0.5, base=0.05), 2)


class LocalStream(StateSource, Protocol):
    """A session's socket on this process, as the REST API and the state flusher see it."""

    async def end_requested(self) -> None:
        """Publish the end of the stream and close once the flow has finished it."""
        ...


class NotServing(RuntimeError):
    """A network client was used before the app started serving."""


class IngressRuntime:
    """Shared by every request and socket of one app."""

    def __init__(
        self,
        cfg: settings.Settings,
        metrics: IngressMetrics,
        voice_catalog: VoiceCatalog | None,
    ) -> None:
        if cfg.session_reserve_minutes <= 0:
            raise ValueError("SESSION_RESERVE_MINUTES must be more than 0")
        self.cfg = cfg
        self.metrics = metrics
        self._given_catalog = voice_catalog
        self._own_catalog: VoiceCatalog | None = None
        self.verifier = JwtVerifier(cfg)
        self.csrf = CsrfTokens(cfg)
        self.sessions = Sessions(cfg)
        self.quotas = Quotas(cfg)
        self.rate_limits = RateLimits(cfg)
        self.auth_failures = AuthFailures(cfg)
        self.trusted_proxies = trusted_networks(cfg.trusted_proxies)
        self.routes = ResultRoutes(cfg)
        self.subtitle_logs = SubtitleLogs(cfg)
        self.holds = SessionHolds(cfg)
        self.usage = Usage(cfg)
        self.flood_guard = FloodGuard(cfg.ws_flood_factor, cfg.ws_flood_burst_seconds)
        self.language_pairs = ServedPairs(cfg)
        self.streams: dict[str, LocalStream] = {}
        self._redis: redis.asyncio.Redis | None = None
        self._run: AsyncScriptRunner | None = None
        self._publisher: AudioPublisher | None = None
        self._fanout: ResultsFanout | None = None
        self._flusher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect Redis and Kafka; start the producer's and the consumer's threads."""
        if self._given_catalog is None:
            # Cloud providers hold clients bound to the loop that uses them: build it here.
            self._own_catalog = registry.voice_catalog(self.cfg)
        # A bounded pool that makes callers wait for a connection: under a burst of
        # requests the plain pool raises "Too many connections" instead.
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            self.cfg.redis_url,
            max_connections=REDIS_MAX_CONNECTIONS,
            timeout=REDIS_POOL_WAIT_S,
            socket_timeout=self.cfg.redis_timeout_seconds,
            socket_connect_timeout=self.cfg.redis_timeout_seconds,
            retry=REDIS_RETRY,
            retry_on_error=[RedisConnectionError],
        )
        self._redis = redis.asyncio.Redis.from_pool(pool)  # owns the pool: aclose() closes it
        self._run = AsyncScriptRunner(self._redis)
        self._publisher = AudioPublisher(self.cfg, self.metrics)
        self._publisher.start()
        self._fanout = ResultsFanout(self.cfg, self.metrics)
        await asyncio.to_thread(self._fanout.start, asyncio.get_running_loop())
        flusher = StateFlusher(self.write_state, self.streams, self.cfg.ws_state_flush_seconds)
        self._flusher = asyncio.create_task(flusher.run_forever())

    async def stop(self) -> None:
        """Stop writing socket state and reading results, deliver buffered audio, close Redis."""
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
        if self._fanout is not None:
            await asyncio.to_thread(self._fanout.stop)
        if self._publisher is not None:
            await asyncio.to_thread(self._publisher.stop)
        if self._redis is not None:
            await self._redis.aclose()
        if self._own_catalog is not None:
            await registry.aclose(self._own_catalog)

    @property
    def voice_catalog(self) -> VoiceCatalog:
        """The voices: the catalog given to `create_app`, else the configured TTS provider's."""
        catalog = self._given_catalog or self._own_catalog
        if catalog is None:
            raise NotServing("the voice catalog is built while the app serves")
        return catalog

    async def run(self, call: ScriptCall[T]) -> T:
        """Run a state call on this app's Redis client, shielded from cancellation.

        A socket's tasks are cancelled when its client goes away. redis-py's asyncio
        client can swallow a cancellation that lands mid-command (the task then never
        ends; cf. redis/redis-py#2028), and a state write that started should finish
        anyway: the command runs in its own task and only the wait is cancelled.
        """
        if self._run is None:
            raise NotServing("Redis is connected while the app serves")
        return await asyncio.shield(self._run(call))

    async def write_state(self, deltas: list[StateDelta]) -> list[StateError | None]:
        """Sockets' state changes in one round trip, shielded as `run` is; refusals per socket."""
        if self._run is None:
            raise NotServing("Redis is connected while the app serves")
        return await asyncio.shield(
            write_state(self._run, self.sessions, self.routes, self.subtitle_logs, deltas)
        )

    @property
    def publisher(self) -> AudioPublisher:
        """The audio topic's producer."""
        if self._publisher is None:
            raise NotServing("Kafka is connected while the app serves")
        return self._publisher

    @property
    def fanout(self) -> ResultsFanout:
        """The results consumer and its subscriptions."""
        if self._fanout is None:
            raise NotServing("Kafka is connected while the app serves")
        return self._fanout


def current_runtime() -> IngressRuntime:
    """The runtime of the app handling the current request or socket."""
    runtime: IngressRuntime = current_app.extensions[EXTENSION]
    return runtime
