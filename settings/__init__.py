"""Configuration from the environment: one typed object, read once per process.

Every variable is listed with its default in `.env.example`. Nothing here reads
files outside the repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, str(default)))


def _env_flag(name: str) -> bool:
    """On for 1, true, yes or on (any case); off when unset or anything else."""
    return _env(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in _env(name, default).split(",") if item.strip())


def _env_map(name: str, default: str) -> tuple[tuple[str, str], ...]:
    """`key=value,key=value` pairs, kept as a tuple so Settings stays hashable."""
    pairs = []
    for item in _env_list(name, default):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{name}: expected key=value pairs, got {item!r}")
        pairs.append((key.strip(), value.strip()))
    return tuple(pairs)


def _per_language_dirs() -> tuple[tuple[str, str], ...]:
    """WHISPER_MODEL_DIR_<LANG> variables, as (language, directory) pairs."""
    prefix = "WHISPER_MODEL_DIR_"
    return tuple(
        (name.removeprefix(prefix).lower(), value.strip())
        for name, value in sorted(os.environ.items())
        if name.startswith(prefix) and name != prefix and value.strip()
    )


@dataclass(frozen=True)
class Settings:
    """Every tunable of the service, with the defaults `just up` runs on."""

    kafka_bootstrap: str = field(default_factory=lambda: _env("KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    redis_url: str = field(default_factory=lambda: _env("REDIS_URL", "redis://127.0.0.1:6390/0"))
    topic_audio: str = field(default_factory=lambda: _env("TOPIC_AUDIO", "livedub.audio"))
    topic_results: str = field(default_factory=lambda: _env("TOPIC_RESULTS", "livedub.results"))
    # The most flow workers that can share the audio, and ingresses the results. Every
    # partition adds to the broker's work on each fetch and produce: keep few on a small host.
    topic_partitions: int = field(default_factory=lambda: _env_int("TOPIC_PARTITIONS", 4))

    ingress_host: str = field(default_factory=lambda: _env("INGRESS_HOST", "127.0.0.1"))
    ingress_port: int = field(default_factory=lambda: _env_int("INGRESS_PORT", 8080))
    # This process reads results partitions p with p % ingress_instances == ingress_instance.
    ingress_instance: int = field(default_factory=lambda: _env_int("INGRESS_INSTANCE", 0))
    ingress_instances: int = field(default_factory=lambda: _env_int("INGRESS_INSTANCES", 1))
    jwt_tier_claim: str = field(default_factory=lambda: _env("JWT_TIER_CLAIM", "tier"))

    jwt_dev_secret: str = field(
        default_factory=lambda: _env(
            "JWT_DEV_SECRET", "livedub-local-development-secret-change-me"
        ),
        repr=False,
    )
    jwt_issuer: str = field(default_factory=lambda: _env("JWT_ISSUER", "livedub-dev"))
    jwt_audience: str = field(default_factory=lambda: _env("JWT_AUDIENCE", "livedub"))
    jwt_algorithms: tuple[str, ...] = field(
        default_factory=lambda: _env_list("JWT_ALGORITHMS", "HS256")
    )
    jwt_public_key_file: str = field(default_factory=lambda: _env("JWT_PUBLIC_KEY_FILE", ""))
    jwt_jwks_file: str = field(default_factory=lambda: _env("JWT_JWKS_FILE", ""))
    # Keys from a JWKS URL, fetched off the event loop, cached, and fetched again when a
    # token names a key id the cached set lacks (at most once per JWT_JWKS_REFRESH_SECONDS).
    jwt_jwks_url: str = field(default_factory=lambda: _env("JWT_JWKS_URL", ""))
    jwt_jwks_cache_seconds: float = field(
        default_factory=lambda: _env_float("JWT_JWKS_CACHE_SECONDS", 300.0)
    )
    jwt_jwks_refresh_seconds: float = field(
        default_factory=lambda: _env_float("JWT_JWKS_REFRESH_SECONDS", 10.0)
    )
    jwt_jwks_timeout_seconds: float = field(
        default_factory=lambda: _env_float("JWT_JWKS_TIMEOUT_SECONDS", 5.0)
    )
    jwt_leeway_seconds: int = field(default_factory=lambda: _env_int("JWT_LEEWAY_SECONDS", 30))
    csrf_secret: str = field(
        default_factory=lambda: _env("CSRF_SECRET", "livedub-local-csrf-secret-change-me"),
        repr=False,
    )
    csrf_ttl_seconds: int = field(default_factory=lambda: _env_int("CSRF_TTL_SECONDS", 3600))
    cors_origins: tuple[str, ...] = field(default_factory=lambda: _env_list("CORS_ORIGINS", ""))
    # GET /api/v1/dev/token mints tokens for anyone who asks: development stacks only.
    dev_tokens: bool = field(default_factory=lambda: _env_flag("DEV_TOKENS"))
    # The built demo page the ingress serves at /demo/ (`just ext-build` writes it).
    demo_dir: str = field(
        default_factory=lambda: _env("DEMO_DIR", "") or str(ROOT / "extension" / "dist" / "demo")
    )

    free_minutes_per_day: float = field(
        default_factory=lambda: _env_float("FREE_MINUTES_PER_DAY", 5.0)
    )
    premium_price_usd: float = field(default_factory=lambda: _env_float("PREMIUM_PRICE_USD", 5.0))
    max_session_minutes: int = field(default_factory=lambda: _env_int("MAX_SESSION_MINUTES", 120))
    max_sessions_per_user: int = field(default_factory=lambda: _env_int("MAX_SESSIONS_PER_USER", 3))
    session_ttl_seconds: int = field(default_factory=lambda: _env_int("SESSION_TTL_SECONDS", 900))
    rate_limit_per_minute: int = field(
        default_factory=lambda: _env_int("RATE_LIMIT_PER_MINUTE", 10)
    )
    # Failed authentications (REST 401s, sockets that did not authenticate) per client
    # address in any minute; past it, that address's authentications get 429 / close 4030.
    auth_failures_per_minute: int = field(
        default_factory=lambda: _env_int("AUTH_FAILURES_PER_MINUTE", 30)
    )
    # Stream sockets a user may open (authenticated) in any minute.
    ws_connects_per_minute: int = field(
        default_factory=lambda: _env_int("WS_CONNECTS_PER_MINUTE", 30)
    )
    # Proxies (addresses or networks) whose X-Forwarded-For is believed; empty: none, the
    # peer address is the client's.
    trusted_proxies: tuple[str, ...] = field(
        default_factory=lambda: _env_list("TRUSTED_PROXIES", "")
    )
    supported_languages: tuple[str, ...] = field(
        default_factory=lambda: _env_list("SUPPORTED_LANGUAGES", "en,es")
    )
    supported_sites: tuple[str, ...] = field(
        default_factory=lambda: _env_list("SUPPORTED_SITES", "screenil.com,mako.co.il,13tv.co.il")
    )
    source_languages: tuple[str, ...] = field(
        default_factory=lambda: _env_list("SOURCE_LANGUAGES", "he,en,es")
    )
    sample_rate: int = 16000
    # The frame length clients are asked to send (frames of 10 ms to 1 s are accepted).
    frame_ms: int = field(default_factory=lambda: _env_int("FRAME_MS", 100))
    # Quota held when a session is created (capped by what the user has left).
    session_reserve_minutes: float = field(
        default_factory=lambda: _env_float("SESSION_RESERVE_MINUTES", 1.0)
    )

    ws_auth_timeout_seconds: float = field(
        default_factory=lambda: _env_float("WS_AUTH_TIMEOUT_SECONDS", 5.0)
    )
    ws_end_timeout_seconds: float = field(
        default_factory=lambda: _env_float("WS_END_TIMEOUT_SECONDS", 30.0)
    )
    ws_ping_interval_seconds: float = field(
        default_factory=lambda: _env_float("WS_PING_INTERVAL_SECONDS", 20.0)
    )
    ws_send_queue: int = field(default_factory=lambda: _env_int("WS_SEND_QUEUE", 256))
    ws_flood_factor: float = field(default_factory=lambda: _env_float("WS_FLOOD_FACTOR", 2.0))
    ws_flood_burst_seconds: float = field(
        default_factory=lambda: _env_float("WS_FLOOD_BURST_SECONDS", 10.0)
    )
    ws_invalid_limit: int = field(default_factory=lambda: _env_int("WS_INVALID_LIMIT", 10))
    ws_state_flush_seconds: float = field(
        default_factory=lambda: _env_float("WS_STATE_FLUSH_SECONDS", 1.0)
    )
    replay_timeout_seconds: float = field(
        default_factory=lambda: _env_float("REPLAY_TIMEOUT_SECONDS", 10.0)
    )
    # A free session leases this much of its user's day at a time before publishing it.
    quota_lease_seconds: float = field(
        default_factory=lambda: _env_float("QUOTA_LEASE_SECONDS", 2.0)
    )
    # While Redis is away a free session streams this much beyond its lease, charged
    # when Redis is back; then its socket closes 1013 (state_unavailable) until it is.
    quota_outage_grace_seconds: float = field(
        default_factory=lambda: _env_float("QUOTA_OUTAGE_GRACE_SECONDS", 60.0)
    )
    # A Redis command that has not answered in this time fails (state_unavailable).
    redis_timeout_seconds: float = field(
        default_factory=lambda: _env_float("REDIS_TIMEOUT_SECONDS", 3.0)
    )

    recovery_dir: str = field(
        default_factory=lambda: _env("RECOVERY_DIR", str(ROOT / ".run" / "recovery"))
    )
    snapshot_interval_seconds: float = field(
        default_factory=lambda: _env_float("SNAPSHOT_INTERVAL_SECONDS", 5.0)
    )
    backup_interval_seconds: float = field(
        default_factory=lambda: _env_float("BACKUP_INTERVAL_SECONDS", 0.0)
    )
    flow_workers: int = field(default_factory=lambda: _env_int("FLOW_WORKERS", 1))
    # The flow's nice value. Every frame passes its one worker thread: on cores it
    # shares with the ingress and Kafka it must run first, or it falls behind first.
    flow_nice: int = field(default_factory=lambda: _env_int("FLOW_NICE", -10))
    recovery_partitions: int = field(default_factory=lambda: _env_int("RECOVERY_PARTITIONS", 1))
    # The flow's Prometheus metrics (process i of a cluster: port + i; 0: none).
    flow_metrics_host: str = field(default_factory=lambda: _env("FLOW_METRICS_HOST", "127.0.0.1"))
    flow_metrics_port: int = field(default_factory=lambda: _env_int("FLOW_METRICS_PORT", 9464))

    vad_silence_ms: int = field(default_factory=lambda: _env_int("VAD_SILENCE_MS", 330))
    max_utterance_ms: int = field(default_factory=lambda: _env_int("MAX_UTTERANCE_MS", 8000))
    # The first partial transcript once an utterance has this much audio (its 240 ms of
    # pre-roll included), then one every PARTIAL_INTERVAL_MS; 0 turns partials off.
    partial_first_ms: int = field(default_factory=lambda: _env_int("PARTIAL_FIRST_MS", 800))
    partial_interval_ms: int = field(default_factory=lambda: _env_int("PARTIAL_INTERVAL_MS", 1000))
    # A session's partial subtitles are translated at most once per this interval: translation
    # is billed per character, and streamed partials grow word by word. 0: finals only.
    partial_translation_interval_ms: int = field(
        default_factory=lambda: _env_int("PARTIAL_TRANSLATION_INTERVAL_MS", 1000)
    )

    stt_provider: str = field(default_factory=lambda: _env("STT_PROVIDER", "whisper"))
    # A streaming provider's connection (billed while open) closes after this much
    # audio without speech, and opens again at the next speech.
    stt_stream_idle_seconds: float = field(
        default_factory=lambda: _env_float("STT_STREAM_IDLE_SECONDS", 15.0)
    )
    translation_provider: str = field(
        default_factory=lambda: _env("TRANSLATION_PROVIDER", "apertium")
    )
    tts_provider: str = field(default_factory=lambda: _env("TTS_PROVIDER", "piper"))
    # Finished translations a flow worker remembers (repeated phrases cost nothing).
    # 0 remembers none; the subtitle and dubbing paths still share a call in flight.
    translation_cache_size: int = field(
        default_factory=lambda: _env_int("TRANSLATION_CACHE_SIZE", 512)
    )
    provider_timeout_seconds: float = field(
        default_factory=lambda: _env_float("PROVIDER_TIMEOUT_SECONDS", 20.0)
    )
    provider_retry_attempts: int = field(
        default_factory=lambda: _env_int("PROVIDER_RETRY_ATTEMPTS", 4)
    )
    provider_retry_initial_seconds: float = field(
        default_factory=lambda: _env_float("PROVIDER_RETRY_INITIAL_SECONDS", 0.5)
    )
    provider_retry_max_seconds: float = field(
        default_factory=lambda: _env_float("PROVIDER_RETRY_MAX_SECONDS", 8.0)
    )
    tts_sample_rate: int = field(default_factory=lambda: _env_int("TTS_SAMPLE_RATE", 16000))

    whisper_model_dir: str = field(default_factory=lambda: _env("WHISPER_MODEL_DIR", ""))
    # A CTranslate2 model directory per language: WHISPER_MODEL_DIR_HE=/models/he (one
    # variable a language), or WHISPER_MODEL_DIRS=he=/models/he,en=... (these win).
    whisper_model_dirs: tuple[tuple[str, str], ...] = field(
        default_factory=lambda: _per_language_dirs() + _env_map("WHISPER_MODEL_DIRS", "")
    )
    whisper_languages: tuple[str, ...] = field(
        default_factory=lambda: _env_list("WHISPER_LANGUAGES", "en,es,he")
    )
    whisper_compute_type: str = field(default_factory=lambda: _env("WHISPER_COMPUTE_TYPE", "int8"))
    whisper_cpu_threads: int = field(default_factory=lambda: _env_int("WHISPER_CPU_THREADS", 0))
    whisper_workers: int = field(default_factory=lambda: _env_int("WHISPER_WORKERS", 2))
    whisper_window_pad_seconds: float = field(
        default_factory=lambda: _env_float("WHISPER_WINDOW_PAD_SECONDS", 5.0)
    )
    piper_voice_dir: str = field(default_factory=lambda: _env("PIPER_VOICE_DIR", ""))
    # TTS_PROVIDER=kokoro: Kokoro-82M speaks these languages (from espeak-ng's IPA).
    kokoro_languages: tuple[str, ...] = field(
        default_factory=lambda: _env_list("KOKORO_LANGUAGES", "es")
    )
    kokoro_voice: str = field(default_factory=lambda: _env("KOKORO_VOICE", "jf_gongitsune"))
    kokoro_speed: float = field(default_factory=lambda: _env_float("KOKORO_SPEED", 1.0))
    kokoro_cpu_threads: int = field(default_factory=lambda: _env_int("KOKORO_CPU_THREADS", 1))
    # One voice per speaker: `voicefilter` tells a session's speakers apart by their
    # d-vectors (providers/speaker_embedder.py), `none` dubs everyone in the session's voice.
    speaker_embedder: str = field(default_factory=lambda: _env("SPEAKER_EMBEDDER", "voicefilter"))
    speaker_threshold: float = field(default_factory=lambda: _env_float("SPEAKER_THRESHOLD", 0.68))
    max_speakers: int = field(default_factory=lambda: _env_int("MAX_SPEAKERS", 6))
    speaker_cpu_threads: int = field(default_factory=lambda: _env_int("SPEAKER_CPU_THREADS", 1))

    # Secrets stay out of repr() so a logged Settings never leaks them.
    assemblyai_api_key: str = field(
        default_factory=lambda: _env("ASSEMBLYAI_API_KEY", ""), repr=False
    )
    assemblyai_host: str = field(
        default_factory=lambda: _env("ASSEMBLYAI_HOST", "streaming.assemblyai.com")
    )
    assemblyai_speech_models: tuple[tuple[str, str], ...] = field(
        default_factory=lambda: _env_map(
            "ASSEMBLYAI_SPEECH_MODELS",
            "en=universal-streaming-english,es=universal-streaming-multilingual,"
            "fr=universal-streaming-multilingual,de=universal-streaming-multilingual,"
            "it=universal-streaming-multilingual,pt=universal-streaming-multilingual,"
            "he=universal-3-5-pro",
        )
    )
    assemblyai_fallback_model: str = field(
        default_factory=lambda: _env("ASSEMBLYAI_FALLBACK_MODEL", "")
    )
    assemblyai_send_speed: float = field(
        default_factory=lambda: _env_float("ASSEMBLYAI_SEND_SPEED", 1.0)
    )
    # The provider closes a session that got no audio for this long (5-3600 s): a
    # stream the flow forgot is not billed for hours.
    assemblyai_inactivity_timeout_seconds: int = field(
        default_factory=lambda: _env_int("ASSEMBLYAI_INACTIVITY_TIMEOUT_SECONDS", 30)
    )
    deepl_auth_key: str = field(default_factory=lambda: _env("DEEPL_AUTH_KEY", ""), repr=False)
    deepl_server_url: str = field(default_factory=lambda: _env("DEEPL_SERVER_URL", ""))
    deepl_formality: str = field(default_factory=lambda: _env("DEEPL_FORMALITY", "default"))
    deepl_target_variants: tuple[tuple[str, str], ...] = field(
        default_factory=lambda: _env_map("DEEPL_TARGET_VARIANTS", "en=EN-US,pt=PT-BR")
    )
    # Translation requests at once per flow worker (each in a thread: the SDK blocks).
    deepl_max_concurrency: int = field(
        default_factory=lambda: _env_int("DEEPL_MAX_CONCURRENCY", 32)
    )
    elevenlabs_api_key: str = field(
        default_factory=lambda: _env("ELEVENLABS_API_KEY", ""), repr=False
    )
    elevenlabs_base_url: str = field(
        default_factory=lambda: _env("ELEVENLABS_BASE_URL", "https://api.elevenlabs.io")
    )
    elevenlabs_model: str = field(
        default_factory=lambda: _env("ELEVENLABS_MODEL", "eleven_flash_v2_5")
    )
    elevenlabs_voice_id: str = field(default_factory=lambda: _env("ELEVENLABS_VOICE_ID", ""))
    # Speech requests at once per flow process, shared by its workers: the plan's limit
    # (Flash: Creator 10, Pro 20, Scale 30) divided by the number of flow processes.
    elevenlabs_max_concurrency: int = field(
        default_factory=lambda: _env_int("ELEVENLABS_MAX_CONCURRENCY", 10)
    )


def load() -> Settings:
    """Read the environment now (tests change it between app instances)."""
    return Settings()
