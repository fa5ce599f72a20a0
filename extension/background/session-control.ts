// Session lifecycle: create it over REST, capture the tab in the offscreen
// document, route its events (and synced mode's delay) to the tab, end it with DELETE.
import { ApiError } from "../lib/api-client";
import { buildConfig } from "../lib/build-config";
import type { ExtensionServices } from "../lib/extension-services";
import { chromeStore } from "../lib/kv-store";
import { isSupportedUrl } from "../lib/site-match";
import { sourceLanguageOf, streamPlan } from "../lib/stream-plan";
import { loadSettings, sessionRequest } from "../lib/user-settings";
import { CloseCode, type ServerEvent } from "../types/api";
import type { ActiveSession, OffscreenCommand, OffscreenReport, OverlayMessage } from "../types/messages";
import { closeOffscreenDocument, ensureOffscreenDocument } from "./offscreen-document";
import type { UsageTracker } from "./usage-tracker";

const SESSION_KEY = "livedub.session";
const LAST_SESSION_KEY = "livedub.last-session";
const LAST_ERROR_KEY = "livedub.last-error";
const SYNC_DELAY_KEY = "livedub.sync-delay";

/** What the viewer is told when the server closes the socket for good. */
const CLOSE_REASONS: Record<number, string> = {
  [CloseCode.authTimeout]: "the server did not receive the sign-in in time",
  [CloseCode.authInvalid]: "the server rejected the sign-in token",
  [CloseCode.sessionNotFound]: "the session no longer exists",
  [CloseCode.sessionEnded]: "the session has ended",
  [CloseCode.quotaExceeded]: "today's free minutes are used up",
  [CloseCode.rateLimited]: "too many requests; try again shortly",
  [CloseCode.messageInvalid]: "the server refused a message from the extension",
  [CloseCode.slowConsumer]: "the connection was too slow",
  [CloseCode.internal]: "the server had an internal error",
};

export class SessionControl {
  // Session state outlives a suspended service worker; the offscreen document keeps streaming.
  private readonly sessionStore = chromeStore(chrome.storage.session);

  constructor(
    private readonly services: ExtensionServices,
    private readonly usage: UsageTracker,
  ) {}

  async active(): Promise<ActiveSession | null> {
    return (await this.sessionStore.get<ActiveSession>(SESSION_KEY)) ?? null;
  }

  /** The running session, else the last one (the server keeps it readable for a while). */
  async lastSession(): Promise<ActiveSession | null> {
    return (await this.sessionStore.get<ActiveSession>(LAST_SESSION_KEY)) ?? null;
  }

  /** Synced mode's delay in force (ms), or null. */
  async syncDelayMs(): Promise<number | null> {
    return (await this.sessionStore.get<number>(SYNC_DELAY_KEY)) ?? null;
  }

  async lastError(): Promise<string | null> {
    return (await this.sessionStore.get<string>(LAST_ERROR_KEY)) ?? null;
  }

  setLastError(message: string | null): Promise<void> {
    return message === null
      ? this.sessionStore.remove(LAST_ERROR_KEY)
      : this.sessionStore.set(LAST_ERROR_KEY, message);
  }

  async start(tabId: number): Promise<void> {
    if (await this.active()) throw new Error("a session is already running; stop it first");
    const token = await this.services.vault.load();
    if (!token) throw new Error("sign in first");
    const { api, store } = this.services;
    const config = await api.getExtensionConfig();
    const tab = await chrome.tabs.get(tabId);
    if (!isSupportedUrl(tab.url, config.supported_sites)) {
      throw new Error(`livedub works on ${config.supported_sites.join(", ")}`);
    }
    const sourceLanguage = sourceLanguageOf(config);
    const settings = await loadSettings(store, config);
    // The stream id must be taken while the popup's user gesture still grants activeTab.
    const streamId = await chrome.tabCapture.getMediaStreamId({ targetTabId: tabId });
    const session = await api.createSession(sessionRequest(settings, sourceLanguage));
    try {
      await ensureOffscreenDocument();
      const command: OffscreenCommand = {
        kind: "offscreen-start",
        streamId,
        tabId,
        token,
        ...streamPlan(session, config, settings, buildConfig.wsBaseUrl),
      };
      const reply = (await chrome.runtime.sendMessage(command)) as { ok: boolean; error?: string };
      if (!reply.ok) throw new Error(reply.error ?? "audio capture failed");
    } catch (error) {
      await api.endSession(session.session_id).catch(() => undefined);
      await closeOffscreenDocument();
      throw error;
    }
    const active: ActiveSession = {
      sessionId: session.session_id,
      tabId,
      startedAtMs: Date.now(),
      subtitles: session.session_type.live_subtitles,
    };
    await this.sessionStore.set(SESSION_KEY, active);
    await this.sessionStore.set(LAST_SESSION_KEY, active);
    await this.setLastError(null);
    await this.usage.record(session.quota);
    await this.usage.startPeriodicSync();
  }

  /** Stops capture (letting the last results arrive), then ends the session on the server. */
  async stop(reason: string | null = null): Promise<void> {
    const session = await this.active();
    if (!session) return;
    await this.sessionStore.remove(SESSION_KEY);
    await chrome.runtime
      .sendMessage({ kind: "offscreen-stop" } satisfies OffscreenCommand)
      .catch(() => undefined);
    await closeOffscreenDocument();
    await this.usage.stopPeriodicSync();
    await this.sessionStore.remove(SYNC_DELAY_KEY);
    this.toTab(session.tabId, { kind: "overlay-sync", delayMs: null });
    this.toTab(session.tabId, { kind: "overlay-clear" });
    await this.setLastError(reason);
    try {
      const ended = await this.services.api.endSession(session.sessionId);
      await this.usage.record(ended.quota);
      await this.usage.sync();
    } catch (error) {
      // Already ended by the server (quota, timeout): nothing left to end.
      if (!(error instanceof ApiError && error.code === "session_ended")) throw error;
    }
  }

  async onReport(report: OffscreenReport): Promise<void> {
    switch (report.kind) {
      case "session-event":
        return this.onEvent(report.tabId, report.event, report.showAtMs);
      case "sync-delay":
        if (!(await this.active())) return;
        await this.sessionStore.set(SYNC_DELAY_KEY, report.delayMs);
        this.toTab(report.tabId, { kind: "overlay-sync", delayMs: report.delayMs });
        return;
      case "capture-progress":
        return this.usage.addStreamed(report.seconds);
      case "session-closed":
        if (!report.requested) {
          await this.stop(CLOSE_REASONS[report.code] ?? `connection closed (${report.code})`);
        }
    }
  }

  private async onEvent(tabId: number, event: ServerEvent, showAtMs: number | null): Promise<void> {
    switch (event.type) {
      case "transcript":
      case "subtitle":
        this.toTab(tabId, { kind: "overlay-event", event, showAtMs });
        return;
      case "usage":
        return this.usage.recordRemaining(event.remaining_seconds);
      case "error":
        return this.setLastError(event.error);
      case "status":
      case "audio":
        return;
    }
  }

  private toTab(tabId: number, message: OverlayMessage): void {
    // The tab may have navigated away from a supported site: nobody to tell.
    chrome.tabs.sendMessage(tabId, message).catch(() => undefined);
  }
}
