// Popup: sign in, usage meter, settings, start/stop for the current tab, synced
// mode's measured delay, and the session's subtitles to download.
import { buildConfig } from "../lib/build-config";
import { byId, element, field, statusLine } from "../lib/dom";
import { extensionServices } from "../lib/extension-services";
import { renderSettingsForm } from "../lib/settings-form";
import { isSupportedUrl } from "../lib/site-match";
import { sourceLanguageOf } from "../lib/stream-plan";
import { renderSubtitleDownload } from "../lib/subtitle-download";
import { describeUsage, type UsageSnapshot, usageFrom } from "../lib/usage-snapshot";
import { loadSettings, saveSettings } from "../lib/user-settings";
import type { ExtensionConfig } from "../types/api";
import type { OffscreenCommand, PopupRequest, WorkerReply, WorkerState } from "../types/messages";

const services = extensionServices();
const say = statusLine(byId("message", HTMLParagraphElement));
const account = byId("account", HTMLElement);
const usageSection = byId("usage", HTMLElement);
const usageMeter = byId("usage-meter", HTMLMeterElement);
const usageText = byId("usage-text", HTMLParagraphElement);
const settingsRoot = byId("settings", HTMLElement);
const toggle = byId("toggle", HTMLButtonElement);
const siteNote = byId("site-note", HTMLParagraphElement);
const syncNote = byId("sync-note", HTMLParagraphElement);
const keep = byId("keep", HTMLElement);
/** While the popup is open, the session's measured delay and usage are refreshed this often. */
const REFRESH_MS = 2000;

let config: ExtensionConfig | null = null;
let state: WorkerState | null = null;

async function ask(request: PopupRequest): Promise<WorkerReply> {
  const reply = (await chrome.runtime.sendMessage(request)) as WorkerReply;
  state = reply.state;
  return reply;
}

function renderAccount(): void {
  if (state?.signedInAs) {
    const signOut = element("button", { type: "button", className: "secondary", textContent: "Sign out" });
    signOut.addEventListener("click", () => void act({ kind: "sign-out" }));
    account.replaceChildren(
      element("div", { className: "signed-in" }, element("span", {}, "Signed in as ", element("strong", {}, state.signedInAs)), signOut),
    );
    return;
  }
  const token = element("textarea", {
    id: "token",
    placeholder: "Paste a token (development: just token USER)",
    spellcheck: false,
  });
  const signIn = element("button", { type: "submit", textContent: "Sign in" });
  const form = element("form", {}, field("Sign in", token), signIn);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void act({ kind: "sign-in", token: token.value });
  });
  account.replaceChildren(form);
}

function renderUsage(usage: UsageSnapshot | null): void {
  usageSection.hidden = usage === null || !state?.signedInAs;
  if (!usage) return;
  usageMeter.max = usage.dailyLimitMinutes ?? Math.max(1, usage.minutesUsed);
  usageMeter.value = usage.minutesUsed;
  usageText.textContent = describeUsage(usage);
}

let keptFor: string | null = null;

function renderKeep(): void {
  const last = state?.signedInAs ? (state.lastSession ?? null) : null;
  keep.hidden = last === null;
  if (last === null || keptFor === last.sessionId) return;
  keptFor = last.sessionId;
  renderSubtitleDownload(keep, {
    translation: last.subtitles,
    download: (query) => services.api.downloadSubtitles(last.sessionId, query),
    onError: (message) => say(message, "error"),
  });
}

function renderSync(settingsSynced: boolean): void {
  const running = state?.session ?? null;
  syncNote.hidden = running === null || !settingsSynced;
  const delay = state?.syncDelayMs ?? null;
  syncNote.textContent =
    delay === null ? "Synced: measuring the delay…" : `Synced: the video is held back ${(delay / 1000).toFixed(1)} s`;
  syncNote.dataset.delayMs = delay === null ? "" : String(delay);
}

async function renderSession(): Promise<void> {
  const running = state?.session ?? null;
  toggle.textContent = running ? "Stop" : "Start";
  toggle.classList.toggle("running", running !== null);
  if (running) {
    toggle.disabled = false;
    siteNote.textContent = "Dubbing this tab's audio.";
    return;
  }
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  const supported = config !== null && isSupportedUrl(tab?.url, config.supported_sites);
  toggle.disabled = !supported || !state?.signedInAs;
  siteNote.textContent = config
    ? supported
      ? ""
      : `Open a show on ${config.supported_sites.join(", ")} to start.`
    : "";
}

let synced = false;

function render(): void {
  renderAccount();
  renderUsage(state?.usage ?? null);
  renderKeep();
  renderSync(synced);
  void renderSession();
  if (state?.lastError) say(state.lastError, "error");
}

async function act(request: PopupRequest): Promise<void> {
  toggle.disabled = true;
  const reply = await ask(request);
  say(reply.ok ? null : reply.error, "error");
  render();
  if (request.kind === "sign-in" || request.kind === "sign-out") {
    // This page's client cached the token it had (none): the voices need the new one.
    services.reloadToken();
    if (reply.ok) await loadConfig();
  }
}

toggle.addEventListener("click", async () => {
  if (state?.session) return act({ kind: "stop" });
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  if (tab?.id !== undefined) await act({ kind: "start", tabId: tab.id });
});

async function loadConfig(): Promise<void> {
  if (!state?.lastError) say("Connecting to the livedub server…");
  try {
    config = await services.api.getExtensionConfig();
  } catch {
    say(`Cannot reach the livedub server at ${buildConfig.apiBaseUrl}.`, "error");
    return;
  }
  if (!state?.lastError) say(null);
  const settings = await loadSettings(services.store, config);
  synced = settings.synced;
  renderSync(synced);
  const loaded = config;
  renderSettingsForm(settingsRoot, {
    config,
    settings,
    syncable: true,
    // Signed out, the server lists no voices (401): the default voice until sign-in.
    loadVoices: async (language) => (state?.signedInAs ? (await services.api.getVoices(language)).voices : []),
    sourceLanguage: () => sourceLanguageOf(loaded),
    onChange: (next) => {
      void saveSettings(services.store, next);
      synced = next.synced;
      renderSync(synced);
      if (state?.session) {
        const commands: OffscreenCommand[] = [
          { kind: "offscreen-duck-level", duckLevel: next.duckLevel },
          { kind: "offscreen-synced", synced: next.synced },
        ];
        for (const command of commands) chrome.runtime.sendMessage(command).catch(() => undefined);
      }
    },
  });
}

/** The session's delay, the usage and the download can change while the popup is open. */
async function refresh(): Promise<void> {
  const signedIn = state?.signedInAs ?? null;
  await ask({ kind: "get-state" });
  if ((state?.signedInAs ?? null) !== signedIn) return render();
  renderUsage(state?.usage ?? null);
  renderKeep();
  renderSync(synced);
}

async function refreshUsage(): Promise<void> {
  if (!state?.signedInAs) return;
  try {
    renderUsage(usageFrom(await services.api.checkQuota()));
  } catch {
    // Offline: keep the last numbers the server gave.
  }
}

await ask({ kind: "get-state" });
render();
await loadConfig();
await renderSession();
await refreshUsage();
setInterval(() => void refresh().catch(() => undefined), REFRESH_MS);
