// How to stream a session the server has just created: its socket URL (resolved
// against the WebSocket base) and the audio parameters from the server's config.
import type { ExtensionConfig, SessionResponse } from "../types/api";
import { buildConfig, type ReconnectPolicy } from "./build-config";
import type { UserSettings } from "./user-settings";

export interface StreamPlan {
  websocketUrl: string;
  sampleRate: number;
  frameMs: number;
  reconnect: ReconnectPolicy;
  /** Volume of the original while the dub speaks, 0..1. */
  duckLevel: number;
  /** Hold the page back by the measured delay so the dub lands on the lips. */
  synced: boolean;
}

export function streamPlan(
  session: SessionResponse,
  config: ExtensionConfig,
  settings: UserSettings,
  wsBaseUrl: string,
): StreamPlan {
  return {
    // The server may answer with a full URL or a path.
    websocketUrl: new URL(session.websocket_url, `${wsBaseUrl}/`).href,
    sampleRate: config.audio_sample_rate,
    frameMs: config.frame_ms,
    reconnect: buildConfig.reconnect,
    duckLevel: settings.duckLevel,
    synced: settings.synced,
  };
}

/** The language the shows speak (the first the server transcribes). */
export function sourceLanguageOf(config: ExtensionConfig): string {
  const language = config.source_languages[0];
  if (!language) throw new Error("the server offers no source language");
  return language;
}
