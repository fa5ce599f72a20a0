// Content script on the supported sites: shows the session's subtitles over the
// page. Events arrive from the service worker; display choices from settings.
import { chromeStore } from "../lib/kv-store";
import { SubtitleOverlay } from "../lib/subtitle-overlay";
import { isSettingsKey, loadSettings, type UserSettings } from "../lib/user-settings";
import type { OverlayMessage } from "../types/messages";

const store = chromeStore(chrome.storage.local);
let settings: Promise<UserSettings> = loadSettings(store, null);
let overlay: SubtitleOverlay | null = null;

/** Where the overlay must live to be seen: inside a full-screen player, else the page. */
function overlayParent(): HTMLElement {
  const full = document.fullscreenElement;
  // A full-screen <video> cannot hold children; its container can.
  return full instanceof HTMLElement && !(full instanceof HTMLMediaElement) ? full : document.documentElement;
}

async function show(message: OverlayMessage): Promise<void> {
  if (message.kind === "overlay-clear") {
    overlay?.destroy();
    overlay = null;
    return;
  }
  const current = await settings;
  if (current.mode === "dub") return;
  overlay ??= new SubtitleOverlay(overlayParent(), { bilingual: current.bilingual, placement: "viewport" });
  overlay.show(message.event);
}

chrome.runtime.onMessage.addListener((message: OverlayMessage) => {
  if (message.kind === "overlay-event" || message.kind === "overlay-clear") {
    show(message).catch((error: unknown) => console.error("livedub: overlay failed", error));
  }
  return false;
});

chrome.storage.onChanged.addListener((changes, area) => {
  if (area !== "local" || !Object.keys(changes).some(isSettingsKey)) return;
  settings = loadSettings(store, null);
  settings.then((next) => overlay?.setBilingual(next.bilingual)).catch(() => undefined);
});

document.addEventListener("fullscreenchange", () => overlay?.attachTo(overlayParent()));
