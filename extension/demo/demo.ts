// The demo page: the extension's client code (API client, token vault, capture
// worklet, socket, overlay, dub player) driven by a file or the microphone.
import { ApiClient } from "../lib/api-client";
import { byId, element, statusLine } from "../lib/dom";
import { webStore } from "../lib/kv-store";
import { LiveSession } from "../lib/live-session";
import { fillLanguageOptions, renderSettingsForm } from "../lib/settings-form";
import { streamPlan } from "../lib/stream-plan";
import { renderSubtitleDownload } from "../lib/subtitle-download";
import { SubtitleOverlay } from "../lib/subtitle-overlay";
import { TokenVault } from "../lib/token-vault";
import { describeUsage, usageFrom } from "../lib/usage-snapshot";
import { loadSettings, saveSettings, sessionRequest, type UserSettings } from "../lib/user-settings";
import type { AudioEvent, ExtensionConfig, ServerEvent } from "../types/api";
import { type DemoSource, fileSource, microphoneSource } from "./audio-source";
import { DubTally } from "./dub-tally";
import { demoEndpoints, fetchDevToken } from "./demo-endpoints";

const DEV_TOKEN_USER = "demo";
const SOURCE_LANGUAGE_KEY = "sourceLanguage";
/** Events kept in the on-page log. */
const LOG_LIMIT = 200;

const endpoints = demoEndpoints(window.location);
const store = webStore(window.localStorage, "livedub-demo.");
const vault = new TokenVault(store, window.location.origin);
const tokenBox = byId("token", HTMLTextAreaElement);
const api = new ApiClient({
  baseUrl: endpoints.apiBaseUrl,
  getToken: async () => tokenBox.value.trim() || null,
});

const fileInput = byId("file", HTMLInputElement);
const sourceLanguage = byId("source-language", HTMLSelectElement);
const toggle = byId("toggle", HTMLButtonElement);
const say = statusLine(byId("message", HTMLParagraphElement));
const usageText = byId("usage-text", HTMLParagraphElement);
const dubStatus = byId("dub-status", HTMLParagraphElement);
const stage = byId("stage", HTMLElement);
const stageHint = byId("stage-hint", HTMLParagraphElement);
const log = byId("log", HTMLOListElement);
const keep = byId("keep", HTMLElement);

interface Run {
  sessionId: string;
  live: LiveSession;
  source: DemoSource;
  context: AudioContext;
}

let config: ExtensionConfig | null = null;
let settings: UserSettings | null = null;
let run: Run | null = null;
let dubTally = new DubTally();
const overlay = new SubtitleOverlay(stage, { bilingual: false, placement: "container" });

function logLine(text: string): void {
  log.append(element("li", { textContent: `${new Date().toLocaleTimeString()} ${text}` }));
  while (log.childElementCount > LOG_LIMIT) log.firstElementChild?.remove();
  log.scrollTop = log.scrollHeight;
}

function onEvent(event: ServerEvent): void {
  switch (event.type) {
    case "transcript":
    case "subtitle":
      if (settings?.mode !== "dub") overlay.show(event);
      if (event.final) logLine(`${event.type} [${event.language}] #${event.segment}: ${event.data}`);
      return;
    case "usage":
      logLine(`usage: ${event.seconds.toFixed(1)} s processed`);
      return;
    case "status":
      logLine(`status: ${event.status}`);
      return;
    case "error":
      logLine(`error ${event.code}: ${event.error}`);
      say(event.error, "error");
      return;
    case "audio":
      return;
  }
}

function onDubChunk(event: AudioEvent): void {
  const finished = dubTally.add(event);
  dubStatus.textContent = dubTally.describe();
  if (finished) logLine(`dub [${event.language ?? "?"}] #${event.segment}: ${finished.chunks} chunks, ${finished.seconds.toFixed(1)} s`);
}

function selectedSource(): "file" | "mic" {
  const checked = document.querySelector<HTMLInputElement>('input[name="source"]:checked');
  return checked?.value === "mic" ? "mic" : "file";
}

async function openSource(context: AudioContext): Promise<DemoSource> {
  if (selectedSource() === "mic") return microphoneSource(context);
  const file = fileInput.files?.[0];
  if (!file) throw new Error("choose an audio or video file first");
  return fileSource(context, file, stage);
}

async function start(): Promise<void> {
  if (!config || !settings) throw new Error("the server's configuration is not loaded");
  const token = tokenBox.value.trim();
  if (!token) throw new Error("paste a token first (or get a development token)");
  if (!sourceLanguage.value) throw new Error("the server offers no source language");
  await vault.save(token);
  const context = new AudioContext();
  const source = await openSource(context);
  const session = await api.createSession(sessionRequest(settings, sourceLanguage.value));
  dubTally = new DubTally();
  dubStatus.textContent = dubTally.describe();
  usageText.textContent = describeUsage(usageFrom(session.quota));
  overlay.setBilingual(settings.bilingual);
  try {
    const live = await LiveSession.start({
      ...streamPlan(session, config, settings, endpoints.wsBaseUrl),
      token,
      context,
      source: source.node,
      monitor: source.monitor,
      onEvent,
      onDubChunk,
      onStateChange: (state) => logLine(`socket: ${state}`),
      onClosed: (closed) => {
        if (!closed.requested) {
          say(`connection closed (${closed.code}${closed.reason ? `: ${closed.reason}` : ""})`, "error");
          void stop();
        }
      },
    });
    run = { sessionId: session.session_id, live, source, context };
    offerDownload(session.session_id, session.session_type.live_subtitles);
  } catch (error) {
    await api.endSession(session.session_id).catch(() => undefined);
    source.release();
    await context.close();
    throw error;
  }
  stageHint.hidden = true;
  await context.resume();
  await source.begin();
  source.ended.then(() => stop()).catch(() => undefined);
}

async function stop(): Promise<void> {
  const current = run;
  if (!current) return;
  run = null;
  renderToggle();
  await current.live.stop();
  current.source.release();
  try {
    const ended = await api.endSession(current.sessionId);
    usageText.textContent = describeUsage(usageFrom(ended.quota));
    logLine(`session ended: ${ended.seconds_processed.toFixed(1)} s processed`);
  } catch (error) {
    say(`ending the session failed: ${String(error)}`, "error");
  }
  stageHint.hidden = false;
}

/** The session's subtitles to keep: offered from its start, and after it ended. */
function offerDownload(sessionId: string, translation: boolean): void {
  keep.hidden = false;
  renderSubtitleDownload(keep, {
    translation,
    download: (query) => api.downloadSubtitles(sessionId, query),
    onError: (message) => say(message, "error"),
  });
}

function renderToggle(): void {
  toggle.textContent = run ? "Stop" : "Start";
  toggle.classList.toggle("running", run !== null);
}

toggle.addEventListener("click", async () => {
  toggle.disabled = true;
  say(null);
  try {
    await (run ? stop() : start());
  } catch (error) {
    say(error instanceof Error ? error.message : String(error), "error");
  } finally {
    toggle.disabled = false;
    renderToggle();
  }
});

tokenBox.addEventListener("change", renderSettings);

byId("dev-token", HTMLButtonElement).addEventListener("click", async () => {
  const token = await fetchDevToken(endpoints.apiBaseUrl, DEV_TOKEN_USER).catch(() => null);
  if (token) {
    tokenBox.value = token;
    await vault.save(token);
    renderSettings();
    say(`Signed in as ${DEV_TOKEN_USER} with a development token.`);
  } else {
    say(`This server mints no development tokens: paste one from \`just token ${DEV_TOKEN_USER}\`.`, "error");
  }
});

/** The settings form; rendered again after sign-in, since the voices need a token. */
function renderSettings(): void {
  if (!config || !settings) return;
  renderSettingsForm(byId("settings", HTMLElement), {
    config,
    settings,
    loadVoices: async (language) => (await api.getVoices(language)).voices,
    sourceLanguage: () => sourceLanguage.value,
    onChange: (next) => {
      settings = next;
      void saveSettings(store, next);
      overlay.setBilingual(next.bilingual);
      run?.live.setDuckLevel(next.duckLevel);
    },
  });
}

/** The languages the server transcribes (the first, Hebrew TV's, unless the viewer picked another). */
async function renderSourceLanguages(offered: ExtensionConfig): Promise<void> {
  const stored = await store.get<string>(SOURCE_LANGUAGE_KEY);
  const chosen = stored !== undefined && offered.source_languages.includes(stored) ? stored : offered.source_languages[0];
  fillLanguageOptions(sourceLanguage, offered.source_languages, chosen ?? "");
  sourceLanguage.addEventListener("change", () => {
    void store.set(SOURCE_LANGUAGE_KEY, sourceLanguage.value);
    renderSettings(); // the notice about pairs without an engine follows the spoken language
  });
}

async function init(): Promise<void> {
  tokenBox.value = (await vault.load()) ?? "";
  try {
    config = await api.getExtensionConfig();
  } catch (error) {
    say(`No livedub configuration from ${endpoints.apiBaseUrl}: ${error instanceof Error ? error.message : String(error)}`, "error");
    toggle.disabled = true;
    return;
  }
  await renderSourceLanguages(config);
  settings = await loadSettings(store, config);
  renderSettings();
}

await init();
