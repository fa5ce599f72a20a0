// Content script on the supported sites: shows the session's subtitles over the
// page, and in synced mode holds the page's picture back by the measured delay,
// each cue shown when the held-back picture reaches its speech. Events arrive
// from the service worker; display choices from settings.
import { chromeStore } from "../lib/kv-store";
import { mainVideo, PictureDelay } from "../lib/picture-delay";
import { SubtitleOverlay } from "../lib/subtitle-overlay";
import { isSettingsKey, loadSettings, type UserSettings } from "../lib/user-settings";
import type { OverlayMessage } from "../types/messages";

const store = chromeStore(chrome.storage.local);
let settings: Promise<UserSettings> = loadSettings(store, null);
let overlay: SubtitleOverlay | null = null;
let picture: PictureDelay | null = null;
const pendingCues = new Set<ReturnType<typeof setTimeout>>();

/** Where the overlay must live to be seen: inside a full-screen player, else the page. */
function overlayParent(): HTMLElement {
  const full = document.fullscreenElement;
  // A full-screen <video> cannot hold children; its container can.
  return full instanceof HTMLElement && !(full instanceof HTMLMediaElement) ? full : document.documentElement;
}

function clear(): void {
  for (const timer of pendingCues) clearTimeout(timer);
  pendingCues.clear();
  overlay?.destroy();
  overlay = null;
}

function holdPicture(delayMs: number | null): void {
  if (delayMs === null) {
    picture?.destroy();
    picture = null;
    return;
  }
  const video = mainVideo(document);
  if (picture && picture.video !== video && video) {
    picture.destroy();
    picture = null;
  }
  if (picture) picture.setDelay(delayMs);
  else if (video) picture = new PictureDelay(video, overlayParent(), delayMs);
}

async function show(message: OverlayMessage): Promise<void> {
  if (message.kind === "overlay-clear") return clear();
  if (message.kind === "overlay-sync") return holdPicture(message.delayMs);
  const current = await settings;
  if (current.mode === "dub") return;
  overlay ??= new SubtitleOverlay(overlayParent(), { bilingual: current.bilingual, placement: "viewport" });
  const target = overlay;
  const waitMs = message.showAtMs === null ? 0 : message.showAtMs - Date.now();
  if (waitMs <= 0) {
    target.show(message.event);
    return;
  }
  // Synced: the cue waits for the held-back picture (timers of equal time keep their order).
  const timer = setTimeout(() => {
    pendingCues.delete(timer);
    if (overlay === target) target.show(message.event);
  }, waitMs);
  pendingCues.add(timer);
}

chrome.runtime.onMessage.addListener((message: OverlayMessage) => {
  if (message.kind === "overlay-event" || message.kind === "overlay-clear" || message.kind === "overlay-sync") {
    show(message).catch((error: unknown) => console.error("livedub: overlay failed", error));
  }
  return false;
});

chrome.storage.onChanged.addListener((changes, area) => {
  if (area !== "local" || !Object.keys(changes).some(isSettingsKey)) return;
  settings = loadSettings(store, null);
  settings.then((next) => overlay?.setBilingual(next.bilingual)).catch(() => undefined);
});

document.addEventListener("fullscreenchange", () => {
  overlay?.attachTo(overlayParent());
  picture?.attachTo(overlayParent());
});
