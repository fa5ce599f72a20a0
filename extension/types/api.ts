// The backend's REST and WebSocket contract (/api/v1). Field names are the wire
// names; `api-contract.test.ts` checks these against the served OpenAPI spec.

export type ErrorCode =
  | "auth_required"
  | "auth_invalid"
  | "auth_expired"
  | "auth_rate_limited"
  | "auth_unavailable"
  | "csrf_invalid"
  | "forbidden"
  | "rate_limited"
  | "quota_exceeded"
  | "session_not_found"
  | "session_ended"
  | "session_limit"
  | "request_invalid"
  | "language_unsupported"
  | "internal"
  | "state_unavailable";

/** Body of every non-2xx REST answer. */
export interface APIError {
  error: { code: ErrorCode; message: string };
}

export interface CsrfTokenResponse {
  csrf_token: string;
  expires_at: string;
}

export interface DubbingSessionType {
  audio_dubbing: boolean;
  live_subtitles: boolean;
  subtitle_language: string | null;
}

export interface CreateSessionRequest {
  session_type: DubbingSessionType;
  source_language: string;
  target_language: string;
  voice_id: string | null;
}

export type Tier = "free" | "premium";

export interface QuotaCheckRequest {
  estimated_minutes?: number;
}

export interface QuotaCheckResponse {
  allowed: boolean;
  tier: Tier;
  minutes_used: number;
  minutes_remaining: number | null;
  daily_limit_minutes: number | null;
  resets_at: string;
}

export interface SessionResponse {
  session_id: string;
  status: "active";
  session_type: DubbingSessionType;
  source_language: string;
  target_language: string;
  voice_id: string | null;
  websocket_url: string;
  created_at: string;
  quota: QuotaCheckResponse;
}

export interface SessionStatusResponse {
  session_id: string;
  status: "active" | "ended";
  session_type: DubbingSessionType;
  source_language: string;
  target_language: string;
  voice_id: string | null;
  audio_chunks_processed: number;
  subtitles_generated: number;
  seconds_processed: number;
  created_at: string;
  last_activity_at: string;
}

export interface EndSessionResponse {
  session_id: string;
  status: "ended";
  seconds_processed: number;
  quota: QuotaCheckResponse;
}

export interface UsageSyncRequest {
  client_minutes_used: number;
}

export interface UsageSyncResponse {
  tier: Tier;
  minutes_used: number;
  minutes_remaining: number | null;
  daily_limit_minutes: number | null;
  resets_at: string;
  drift_minutes: number;
}

export interface VoiceOption {
  id: string;
  name: string;
  language: string;
  gender: string | null;
  provider: string;
}

export interface VoicesResponse {
  voices: VoiceOption[];
}

/** A spoken language and one to show or speak it in: whether an engine serves the pair. */
export interface LanguagePair {
  source: string;
  target: string;
  served: boolean;
}

export interface ExtensionConfig {
  free_tier_minutes_per_day: number;
  premium_tier_price_usd: number;
  supported_languages: string[];
  supported_sites: string[];
  audio_sample_rate: number;
  max_session_duration_minutes: number;
  frame_ms: number;
  source_languages: string[];
  /** Each source with each supported language; unserved pairs get untranslated subtitles, no dub. */
  language_pairs: LanguagePair[];
}

/** GET /api/v1/dubbing/sessions/{session_id}/subtitles: which file to download. */
export interface SubtitlesQuery {
  format?: "vtt" | "srt";
  /** translation: the subtitles in the session's subtitle language; transcript: the original. */
  track?: "translation" | "transcript";
}

/** The media types the subtitles endpoint answers with. */
export const SUBTITLE_MEDIA_TYPES = { vtt: "text/vtt", srt: "application/x-subrip" } as const;

// --- WebSocket /api/v1/dubbing/ws/{session_id}

export interface AudioFormat {
  encoding: "pcm_s16le";
  sample_rate: number;
  channels: number;
}

export type SessionStatus = "connected" | "streaming" | "paused" | "quota_warning" | "ended";

/** Fields every server event carries. */
interface EventBase {
  id: string;
  session_id: string;
  segment: number;
}

/** Transcript (source language) or subtitle (translation); partials have final=false. */
export interface TextEvent extends EventBase {
  type: "transcript" | "subtitle";
  data: string;
  start_ms?: number;
  end_ms?: number;
  language: string;
  final: boolean;
  untranslated?: boolean;
  /** Who said it: the session's speaker 1, 2, ... (finals; absent when speakers are not told apart). */
  speaker?: number;
}

/** One chunk of a segment's dubbed speech, base64 PCM in `data`. */
export interface AudioEvent extends EventBase {
  type: "audio";
  data: string;
  format: AudioFormat;
  chunk: number;
  last_chunk: boolean;
  language?: string;
  start_ms?: number;
  end_ms?: number;
  /** Always true: only final segments are dubbed. */
  final?: boolean;
  /** A segment a streaming provider heard as several turns: the dub of turn k (absent: the first). */
  turn?: number;
  /** The speaker this is the dub of; each speaker is dubbed in a voice of its own. */
  speaker?: number;
}

export interface StatusEvent extends Partial<EventBase> {
  type: "status";
  status: SessionStatus;
}

export interface ErrorEvent extends Partial<EventBase> {
  type: "error";
  error: string;
  code: string;
  /** On rate_limited and auth_rate_limited refusals of the socket: when to try again. */
  retry_after_seconds?: number;
}

export interface UsageEvent extends Partial<EventBase> {
  type: "usage";
  seconds: number;
  remaining_seconds: number | null;
}

export type ServerEvent = TextEvent | AudioEvent | StatusEvent | ErrorEvent | UsageEvent;

export type WebSocketControlMessage =
  | {
      type: "auth";
      token: string;
      last_event_id?: string;
      /**
       * Where this socket's first frame lies in the session's audio (whole ms of
       * what the client sent, 0..2^31-1): a reconnect sends its last seconds
       * again from here and the server drops what it already has.
       */
      audio_position_ms?: number;
    }
  | { type: "ping" }
  | { type: "pause" }
  | { type: "resume" }
  | { type: "end" }
  | { type: "ack"; event_id: string };

/**
 * Close codes the server uses; the reconnect policy switches on them. A frame over
 * 1 s (32,000 B) or a control message over 16,384 characters closes 1009 after its
 * `error` event (frame_too_large, message_invalid); over 1 MiB, 1009 with no event.
 * 4030: audio flood, too many connects (rate_limited) or failed authentications
 * from the address (auth_rate_limited). 1013: signing keys unavailable, retry.
 */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  messageTooBig: 1009,
  /** state_unavailable (Redis is away) or the signing keys cannot be fetched: reconnect after a backoff. */
  tryAgainLater: 1013,
  authTimeout: 4001,
  authInvalid: 4003,
  sessionNotFound: 4004,
  sessionEnded: 4005,
  quotaExceeded: 4029,
  rateLimited: 4030,
  messageInvalid: 4400,
  slowConsumer: 4408,
  internal: 4500,
} as const;
