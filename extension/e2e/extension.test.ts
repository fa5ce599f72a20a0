// The built extension in Debian's Chromium: it loads, its popup renders, and its
// overlay shows subtitles delivered the way a live session delivers them.
import { existsSync } from "node:fs";
import type { Page, Worker } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SETTINGS_KEY, type UserSettings } from "../lib/user-settings";
import type { TextEvent } from "../types/api";
import type { OffscreenReport } from "../types/messages";
import { artifactPath, EXTENSION_DIR } from "./artifacts";
import { chromiumPath, extensionId, extensionWorker, launchChromium, type LaunchedBrowser } from "./chromium";
import { type LocalSite, serveLocalSite } from "./local-site";

const SITE_HOST = "www.mako.co.il";
const SHOW_PAGE = `<!doctype html>
<html lang="he" dir="rtl"><head><meta charset="utf-8"><title>mako - חדשות הערב</title>
<style>body{margin:0;font-family:sans-serif;background:#0b0d12;color:#eee}
.player{position:relative;margin:24px auto;width:860px;height:484px;background:linear-gradient(135deg,#1d2a44,#3a1d2e);display:flex;align-items:center;justify-content:center;font-size:28px}</style>
</head><body><h1 style="text-align:center">חדשות הערב</h1><div class="player"><video width="860" height="484"></video></div></body></html>`;

// Without Chromium the suite can only be skipped locally; CI installs it and must run it.
const runnable = chromiumPath() !== null || process.env.CI === "true";

describe.skipIf(!runnable)("extension in Chromium (e2e)", () => {
  let browser: LaunchedBrowser;
  let site: LocalSite;
  let worker: Worker;
  let id: string;

  beforeAll(async () => {
    if (!existsSync(`${EXTENSION_DIR}manifest.json`)) {
      throw new Error(`no built extension at ${EXTENSION_DIR}: run \`just ext-build\` first`);
    }
    site = await serveLocalSite({ "/": SHOW_PAGE });
    browser = await launchChromium({ extensionDir: EXTENSION_DIR, hostRules: [site.ruleFor(SITE_HOST)] });
    worker = await extensionWorker(browser.context);
    id = extensionId(worker);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  async function openPopup(): Promise<Page> {
    const popup = await browser.context.newPage();
    await popup.setViewportSize({ width: 360, height: 560 });
    await popup.goto(`chrome-extension://${id}/popup/popup.html`);
    return popup;
  }

  it("loads the unpacked extension with its MV3 manifest", async () => {
    const manifest = await worker.evaluate(() => chrome.runtime.getManifest());
    expect(manifest.manifest_version).toBe(3);
    expect(manifest.name).toBe("livedub");
    expect(manifest.permissions).toEqual(expect.arrayContaining(["tabCapture", "offscreen", "storage", "activeTab"]));
  });

  it("renders the popup with the sign-in form, and says so when the server cannot be reached", { timeout: 40_000 }, async () => {
    // No server here: every request to the API fails as an unreachable one does (the
    // popup against a real server is tests/extension/test_extension_live.py's).
    const popup = await browser.context.newPage();
    const apiRequests: string[] = [];
    await popup.route(/^https?:\/\/127\.0\.0\.1:8080\//, (route) => {
      apiRequests.push(route.request().url());
      return route.abort("connectionrefused");
    });
    await popup.setViewportSize({ width: 360, height: 560 });
    await popup.goto(`chrome-extension://${id}/popup/popup.html`);
    await expect.poll(() => popup.locator("h1").textContent()).toBe("livedub");
    await popup.locator("#account textarea").waitFor({ state: "visible" });
    expect(await popup.locator("#account button[type=submit]").textContent()).toBe("Sign in");
    expect(await popup.locator("#toggle").isDisabled()).toBe(true);
    // The client retries (1 s, 2 s, 4 s), then the popup says where it looked.
    const message = popup.locator("#message.error");
    await message.waitFor({ timeout: 30_000 });
    expect(await message.textContent()).toBe("Cannot reach the livedub server at http://127.0.0.1:8080.");
    expect(await popup.locator("#settings").innerHTML()).toBe("");
    expect(apiRequests).toEqual(Array(4).fill("http://127.0.0.1:8080/api/v1/config/extension"));
    await popup.screenshot({ path: artifactPath("popup.png"), fullPage: true });
    await popup.close();
  });

  it("shows bilingual subtitles over a supported site, each line in its own direction", async () => {
    const show = await browser.context.newPage();
    await show.setViewportSize({ width: 960, height: 640 });
    await show.goto(`http://${SITE_HOST}/`);
    const popup = await openPopup();

    // What the popup's form stores: both modes, original line shown too.
    const settings: UserSettings = {
      mode: "both",
      targetLanguage: "en",
      subtitleLanguage: "en",
      voiceId: null,
      bilingual: true,
      duckLevel: 0.2,
      synced: false,
    };
    await popup.evaluate(([key, value]) => chrome.storage.local.set({ [key]: value }), [SETTINGS_KEY, settings] as const);

    const text = (type: TextEvent["type"], segment: number, data: string, language: string, final: boolean): TextEvent => ({
      type,
      id: `e2e:${segment}:${type}:${final ? "final" : data.length}`,
      session_id: "e2e",
      segment,
      data,
      language,
      final,
      ...(type === "subtitle" && language === "he" ? { untranslated: true } : {}),
    });
    // The offscreen document's report to the service worker, which forwards to the tab.
    const deliver = (event: TextEvent) =>
      popup.evaluate(async ({ host, event }) => {
        const [tab] = await chrome.tabs.query({ url: `*://${host}/*` });
        if (tab?.id === undefined) throw new Error(`no tab for ${host}`);
        const report: OffscreenReport = { kind: "session-event", tabId: tab.id, event, showAtMs: null };
        await chrome.runtime.sendMessage(report);
      }, { host: SITE_HOST, event });

    const lines = show.locator("livedub-subtitles p");
    // The content script starts at document_idle: repeat the first event until it is there.
    await expect
      .poll(async () => {
        await deliver(text("transcript", 1, "שלום ו", "he", false));
        return lines.count();
      }, { timeout: 15_000 })
      .toBeGreaterThan(0);
    await deliver(text("transcript", 1, "שלום וברוכים הבאים למהדורת החדשות", "he", true));
    await deliver(text("subtitle", 1, "Hello and", "en", false));
    await deliver(text("subtitle", 1, "Hello and welcome to the news", "en", true));

    await expect.poll(() => lines.count()).toBe(2);
    const original = lines.nth(0);
    const translation = lines.nth(1);
    expect(await original.textContent()).toBe("שלום וברוכים הבאים למהדורת החדשות");
    expect(await original.getAttribute("dir")).toBe("rtl");
    expect(await original.getAttribute("lang")).toBe("he");
    expect(await translation.textContent()).toBe("Hello and welcome to the news");
    expect(await translation.getAttribute("dir")).toBe("ltr");
    expect(await show.locator("livedub-subtitles p.partial").count()).toBe(0);

    // No engine for the pair: the subtitle stays Hebrew, right to left.
    await deliver(text("subtitle", 2, "מחר: גשם בצפון", "he", true));
    const untranslated = show.locator("livedub-subtitles p[data-untranslated]");
    await untranslated.waitFor();
    expect(await untranslated.getAttribute("dir")).toBe("rtl");
    await show.screenshot({ path: artifactPath("overlay.png") });

    // Two speakers take turns: each cue is named after its speaker.
    await deliver({ ...text("subtitle", 3, "Good evening", "en", true), speaker: 1 });
    await deliver({ ...text("subtitle", 4, "And good evening to you", "en", true), speaker: 2 });
    const speakers = show.locator("livedub-subtitles .speaker");
    await expect.poll(() => speakers.allTextContents()).toEqual(["Speaker 1", "Speaker 2"]);
    expect(await show.locator("livedub-subtitles .cue[data-speaker='2'] p").last().textContent()).toBe(
      "Speaker 2And good evening to you",
    );
    await show.screenshot({ path: artifactPath("overlay-speakers.png") });

    // Turning bilingual lines off in settings takes the original line away at once.
    await popup.evaluate(([key, value]) => chrome.storage.local.set({ [key]: value }), [SETTINGS_KEY, { ...settings, bilingual: false }] as const);
    await expect.poll(() => show.locator("livedub-subtitles p.original").count()).toBe(0);
    await popup.close();
    await show.close();
  });
});
