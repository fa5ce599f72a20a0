// MV3 service worker: sign-in, session lifecycle and usage sync; routes the
// offscreen document's events to the tab's overlay.
import { ApiError } from "../lib/api-client";
import { extensionServices } from "../lib/extension-services";
import { isExpired, readClaims } from "../lib/jwt-claims";
import type { OffscreenReport, PopupRequest, WorkerReply, WorkerState } from "../types/messages";
import { SessionControl } from "./session-control";
import { USAGE_SYNC_ALARM, UsageTracker } from "./usage-tracker";

const services = extensionServices();
const usage = new UsageTracker(services.store, services.api);
const sessions = new SessionControl(services, usage);

const POPUP_KINDS: ReadonlySet<string> = new Set(["sign-in", "sign-out", "start", "stop", "get-state"]);
const REPORT_KINDS: ReadonlySet<string> = new Set(["session-event", "sync-delay", "capture-progress", "session-closed"]);

function kindOf(message: unknown): string | null {
  return typeof message === "object" && message !== null && "kind" in message
    ? String(message.kind)
    : null;
}

async function state(): Promise<WorkerState> {
  const token = await services.vault.load();
  return {
    signedInAs: token ? (readClaims(token)?.sub ?? null) : null,
    session: await sessions.active(),
    lastSession: await sessions.lastSession(),
    syncDelayMs: await sessions.syncDelayMs(),
    usage: await usage.snapshot(),
    lastError: await sessions.lastError(),
  };
}

async function signIn(token: string): Promise<void> {
  const claims = readClaims(token.trim());
  if (!claims) throw new Error("that is not a livedub token (expected a JWT)");
  if (isExpired(claims, Date.now())) throw new Error("that token has expired; mint a new one");
  await services.vault.save(token.trim());
  services.reloadToken();
  try {
    await usage.record(await services.api.checkQuota());
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      await signOut();
      throw new Error(`the server rejected the token (${error.code})`);
    }
    throw error;
  }
}

async function signOut(): Promise<void> {
  await sessions.stop();
  await services.vault.clear();
  services.reloadToken();
}

async function handle(request: PopupRequest): Promise<void> {
  switch (request.kind) {
    case "sign-in":
      return signIn(request.token);
    case "sign-out":
      return signOut();
    case "start":
      return sessions.start(request.tabId);
    case "stop":
      return sessions.stop();
    case "get-state":
      return;
  }
}

async function reply(request: PopupRequest): Promise<WorkerReply> {
  try {
    await handle(request);
    return { ok: true, state: await state() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: message, state: await state() };
  }
}

chrome.runtime.onMessage.addListener((message: unknown, _sender, sendResponse) => {
  const kind = kindOf(message);
  if (kind !== null && POPUP_KINDS.has(kind)) {
    reply(message as PopupRequest).then(sendResponse);
    return true;
  }
  if (kind !== null && REPORT_KINDS.has(kind)) {
    sessions.onReport(message as OffscreenReport).catch((error: unknown) => {
      console.error("livedub: handling a session report failed", error);
    });
  }
  return false;
});

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name !== USAGE_SYNC_ALARM) return;
  usage.sync().catch((error: unknown) => console.warn("livedub: usage sync failed", error));
});

chrome.tabs.onRemoved.addListener((tabId) => {
  sessions
    .active()
    .then((session) => (session?.tabId === tabId ? sessions.stop() : undefined))
    .catch((error: unknown) => console.error("livedub: stopping after the tab closed failed", error));
});
