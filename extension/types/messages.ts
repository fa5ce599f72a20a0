// Messages between the extension's parts (chrome.runtime / chrome.tabs messaging).
import type { StreamPlan } from "../lib/stream-plan";
import type { UsageSnapshot } from "../lib/usage-snapshot";
import type { ServerEvent, TextEvent } from "./api";

/** Popup -> service worker. */
export type PopupRequest =
  | { kind: "sign-in"; token: string }
  | { kind: "sign-out" }
  | { kind: "start"; tabId: number }
  | { kind: "stop" }
  | { kind: "get-state" };

export interface ActiveSession {
  sessionId: string;
  tabId: number;
  startedAtMs: number;
  /** It makes subtitles (so a translated file to download), not only a dub. */
  subtitles: boolean;
}

export interface WorkerState {
  signedInAs: string | null;
  session: ActiveSession | null;
  /** The session running, else the last one (its subtitles can still be downloaded). */
  lastSession: ActiveSession | null;
  /** Synced mode's delay in force (ms), null when off or not measured yet. */
  syncDelayMs: number | null;
  usage: UsageSnapshot | null;
  /** Why the last session stopped, when the server or network stopped it. */
  lastError: string | null;
}

export type WorkerReply = { ok: true; state: WorkerState } | { ok: false; error: string; state: WorkerState };

/** Service worker -> offscreen document. */
export type OffscreenCommand =
  | ({ kind: "offscreen-start"; streamId: string; tabId: number; token: string } & StreamPlan)
  | { kind: "offscreen-stop" }
  | { kind: "offscreen-duck-level"; duckLevel: number }
  | { kind: "offscreen-synced"; synced: boolean };

/** Offscreen document -> service worker. */
export type OffscreenReport =
  | { kind: "session-event"; tabId: number; event: ServerEvent; showAtMs: number | null }
  | { kind: "sync-delay"; tabId: number; delayMs: number | null }
  | { kind: "capture-progress"; seconds: number }
  | { kind: "session-closed"; tabId: number; code: number; reason: string; requested: boolean };

/** Service worker -> content script in the session's tab. */
export type OverlayMessage =
  /** `showAtMs`: synced mode's moment (epoch ms) to show it, with the held-back picture. */
  | { kind: "overlay-event"; event: TextEvent; showAtMs: number | null }
  | { kind: "overlay-clear" }
  /** Hold the page's picture back by `delayMs`; null: show it live again. */
  | { kind: "overlay-sync"; delayMs: number | null };
