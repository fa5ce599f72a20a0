// The extension against a real local stack (ingress, Kafka, flow, Redis), in Debian's
// Chromium: the popup loads the server's config and signs in, its usage meter shows
// the server's numbers; a session on a TV page (a local page under mako's name, with
// a <video> of English speech whose picture says which frame it is) shows Spanish
// subtitles; synced mode holds the picture back by the delay the extension measured,
// and the cues follow the held-back picture; stopping ends the session on the server,
// the meter counts the minutes, and the popup downloads the session's subtitles.
// tests/extension/test_extension_live.py starts the stack, writes the video and runs
// this file with:
//   LIVEDUB_STACK_URL      the ingress, e.g. http://127.0.0.1:PORT (development tokens on)
//   LIVEDUB_SHOW_VIDEO     the WebM the page plays
//   LIVEDUB_SHOW_SPOKEN    JSON [{text, start_s, end_s}]: where the video speaks
//   LIVEDUB_SHOW_SUBTITLE  a phrase the Spanish subtitles must contain
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page, Worker } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PopupRequest, WorkerReply } from "../types/messages";
import { artifactPath } from "./artifacts";
import { extensionWorker, launchChromium, type LaunchedBrowser } from "./chromium";
import { buildExtensionFor, unpackedExtensionId } from "./extension-build";
import { type FrameLayout, readFrameNumber, SHOW_FRAME } from "./frame-code";
import { type LocalSite, serveFiles } from "./local-site";

const stackUrl = process.env.LIVEDUB_STACK_URL ?? "";
const videoPath = process.env.LIVEDUB_SHOW_VIDEO ?? "";
const spoken = JSON.parse(process.env.LIVEDUB_SHOW_SPOKEN ?? "[]") as { text: string; start_s: number; end_s: number }[];
const subtitle = process.env.LIVEDUB_SHOW_SUBTITLE ?? "";

const SITE_HOST = "www.mako.co.il";
/** The show's picture (tests/extension/show_video.py): 25 frames a second, each numbered. */
const FRAME = { ...SHOW_FRAME, fps: 25 };
const TOLERANCE_MS = 150;
/** Where the service worker keeps the delay the offscreen document measured. */
const SYNC_DELAY_KEY = "livedub.sync-delay";
/** The first utterance pays for loading the speech models in the flow. */
const RESULTS_TIMEOUT_MS = 90_000;

const SHOW_PAGE = `<!doctype html>
<html lang="he" dir="rtl"><head><meta charset="utf-8"><title>mako - חדשות</title><link rel="icon" href="data:,">
<style>body{margin:0;background:#0b0d12;color:#eee;font-family:sans-serif}video{display:block;margin:24px auto;width:640px;height:360px;background:#000}</style>
</head><body><h1 style="text-align:center">חדשות הערב</h1><video src="/show.webm" autoplay loop playsinline></video></body></html>`;

interface PictureSample {
  /** How far the picture on screen is behind the video's own position, ms. */
  behindMs: number;
  /** Where the programme is in the picture on screen, s. */
  shownS: number;
  /** The delay the page was told to hold the picture back by, ms. */
  heldMs: number;
}

interface Line {
  text: string;
  /** The held-back picture when the line appeared (null: none yet). */
  picture: PictureSample | null;
}

/** In the show page (with `readFrameNumber` as window.livedubRead): the held-back picture's place. */
function samplePicture(frame: FrameLayout & { fps: number }): PictureSample | null {
  const read = (window as unknown as { livedubRead: typeof readFrameNumber }).livedubRead;
  const host = document.querySelector<HTMLElement>("livedub-picture");
  const canvas = host?.shadowRoot?.querySelector("canvas");
  const video = document.querySelector("video");
  if (!host || !canvas || !canvas.width || !video) return null;
  const shownS = read(canvas, frame) / frame.fps;
  let behind = video.currentTime - shownS;
  if (behind < -1) behind += video.duration; // the video looped; the picture has not yet
  return { behindMs: behind * 1000, shownS, heldMs: Number(host.dataset.delayMs) };
}

describe.skipIf(stackUrl === "")("extension against the local stack (e2e)", () => {
  let browser: LaunchedBrowser;
  let site: LocalSite;
  let worker: Worker;
  let id: string;
  let outDir: string;
  let user: string;
  let token: string;
  let popup: Page;
  let show: Page;
  let sessionId: string;
  const consoleLines: string[] = [];

  async function ask(request: PopupRequest): Promise<WorkerReply> {
    return popup.evaluate((message) => chrome.runtime.sendMessage(message) as Promise<WorkerReply>, request);
  }

  async function openPopup(): Promise<Page> {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 360, height: 640 });
    page.on("console", (m) => m.type() === "error" && consoleLines.push(`popup: ${m.text()}`));
    await page.goto(`chrome-extension://${id}/popup/popup.html`);
    return page;
  }

  async function api(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("Authorization", `Bearer ${token}`);
    if (init.method && init.method !== "GET") {
      const csrf = (await (await api("/api/v1/auth/csrf")).json()) as { csrf_token: string };
      headers.set("X-CSRF-Token", csrf.csrf_token);
    }
    return fetch(`${stackUrl}${path}`, { ...init, headers });
  }

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), "livedub-extension-"));
    await buildExtensionFor(stackUrl, outDir);
    id = unpackedExtensionId(outDir);
    const video = await readFile(videoPath);
    site = await serveFiles({ "/": { type: "text/html; charset=utf-8", body: SHOW_PAGE }, "/show.webm": { type: "video/webm", body: video } });
    browser = await launchChromium({
      extensionDir: outDir,
      hostRules: [site.ruleFor(SITE_HOST)],
      tabCaptureFor: id,
      extraFlags: ["--autoplay-policy=no-user-gesture-required"],
    });
    worker = await extensionWorker(browser.context);
    expect(new URL(worker.url()).host).toBe(id);
    user = `ext-e2e-${Date.now().toString(36)}`;
    const minted = await fetch(`${stackUrl}/api/v1/dev/token?user=${user}&tier=free`);
    token = ((await minted.json()) as { token: string }).token;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it("the popup loads the server's config, signs in and meters today's usage from the server", async () => {
    popup = await openPopup();
    await popup.locator("#settings fieldset.modes").waitFor({ timeout: 20_000 });
    expect(await popup.locator("#message.error").count()).toBe(0);
    expect(await popup.locator('select[name="targetLanguage"] option').allTextContents()).toContain("Spanish");

    await popup.locator("#account textarea").fill(token);
    await popup.locator("#account button[type=submit]").click();
    await popup.locator("#account strong", { hasText: user }).waitFor({ timeout: 15_000 });
    await popup.locator("#usage").waitFor({ state: "visible" });
    expect(await popup.locator("#usage-text").textContent()).toBe("0 of 5 min used today, 5 left");
    expect(await popup.locator("#usage-meter").evaluate((m: HTMLMeterElement) => [m.value, m.max])).toEqual([0, 5]);
  }, 60_000);

  it("runs a synced session on the show's tab: the picture held back by the measured delay, cues on it", async () => {
    show = await browser.context.newPage();
    show.on("console", (m) => m.type() === "error" && consoleLines.push(`show: ${m.text()}`));
    await show.setViewportSize({ width: 900, height: 560 });
    await show.goto(`http://${SITE_HOST}/`);
    await expect.poll(() => show.evaluate(() => document.querySelector("video")!.currentTime), { timeout: 15_000 }).toBeGreaterThan(0.2);

    // The viewer's choices, through the popup's form: both, English speech to Spanish, synced.
    await popup.locator('input[name="mode"][value="both"]').check();
    await popup.locator('select[name="targetLanguage"]').selectOption("es");
    await popup.locator('select[name="subtitleLanguage"]').selectOption("es");
    await popup.locator('input[name="synced"]').check();

    // Each new subtitle line, and which moment of the show the held-back picture showed then.
    await show.evaluate(`window.livedubRead = ${readFrameNumber.toString()}; window.livedubSample = ${samplePicture.toString()}`);
    await show.evaluate((frame) => {
      const page = window as unknown as { livedubLines: Line[]; livedubSample: (f: typeof frame) => PictureSample | null };
      const seen = new Set<string>();
      page.livedubLines = [];
      const watch = (): void => {
        const host = document.querySelector("livedub-subtitles");
        if (!host?.shadowRoot) return void setTimeout(watch, 10);
        const record = (): void => {
          for (const p of host.shadowRoot!.querySelectorAll("p")) {
            const text = p.textContent ?? "";
            if (seen.has(text)) continue;
            seen.add(text);
            page.livedubLines.push({ text, picture: page.livedubSample(frame) });
          }
        };
        record(); // what the overlay showed as it appeared
        new MutationObserver(record).observe(host.shadowRoot, { childList: true, subtree: true, characterData: true });
      };
      watch();
    }, FRAME);

    const tabId = await popup.evaluate(async (host) => (await chrome.tabs.query({ url: `*://${host}/*` }))[0]!.id!, SITE_HOST);
    const started = await ask({ kind: "start", tabId });
    expect(started.ok ? null : started.error).toBeNull();
    sessionId = started.state.session!.sessionId;
    expect(started.state.lastSession?.sessionId).toBe(sessionId);

    const lines = show.locator("livedub-subtitles p");
    await expect
      .poll(async () => (await lines.allTextContents()).join(" | "), { timeout: RESULTS_TIMEOUT_MS })
      .toContain(subtitle);

    // The delay the extension measured (the popup shows it), then the picture, read off the screen.
    const note = popup.locator("#sync-note");
    await expect.poll(() => note.getAttribute("data-delay-ms"), { timeout: RESULTS_TIMEOUT_MS }).toMatch(/^\d+$/);
    expect(await note.textContent()).toMatch(/^Synced: the video is held back \d+\.\d s$/);
    const measured = async (): Promise<number> =>
      worker.evaluate(async (key) => (await chrome.storage.session.get(key))[key] as number, SYNC_DELAY_KEY);
    const samples: { behindMs: number; measuredMs: number }[] = [];
    while (samples.length < 12) {
      const measuredMs = await measured();
      const picture = await show.evaluate(samplePicture, FRAME);
      // A delay that moved while the picture was read: the picture is still on its way.
      if (picture && (await measured()) === measuredMs) samples.push({ behindMs: picture.behindMs, measuredMs });
      await show.waitForTimeout(400);
    }
    await show.screenshot({ path: artifactPath("synced.png") });
    const errors = samples.map((s) => s.behindMs - s.measuredMs).sort((a, b) => a - b);
    const median = errors[Math.floor(errors.length / 2)]!;
    expect(Math.abs(median), JSON.stringify(samples)).toBeLessThan(TOLERANCE_MS);
    console.log(`synced (measured ms / picture behind ms): ${samples.map((s) => `${s.measuredMs}/${Math.round(s.behindMs)}`).join(", ")}`);

    // The meter moves while the session runs (the flow's usage events).
    await expect.poll(() => popup.locator("#usage-meter").evaluate((m: HTMLMeterElement) => m.value), { timeout: 30_000 }).toBeGreaterThan(0);
  }, 240_000);

  it("shows each cue when the held-back picture reaches its speech", async () => {
    // Lines that appeared once the picture was held back by the delay (when synced mode
    // starts, the picture waits on its first frame until that much has been kept), each
    // while the picture showed that speech.
    const lines = await show.evaluate(() => (window as unknown as { livedubLines: Line[] }).livedubLines);
    const timed = lines.filter((l) => l.picture !== null && Math.abs(l.picture.behindMs - l.picture.heldMs) < 250);
    expect(timed.length, JSON.stringify(lines)).toBeGreaterThanOrEqual(2);
    for (const { text, picture } of timed) {
      const shown = picture!.shownS;
      const during = spoken.some((u) => shown >= u.start_s - 0.5 && shown <= u.end_s + 0.5);
      expect(during, `"${text}" appeared over the picture at ${shown} s; speech: ${JSON.stringify(spoken)}`).toBe(true);
    }
  });

  it("stops: the session ends on the server, the page is live again and the meter counts the minutes", async () => {
    const stopped = await ask({ kind: "stop" });
    expect(stopped.ok ? null : stopped.error).toBeNull();
    expect(stopped.state.session).toBeNull();
    const status = (await (await api(`/api/v1/dubbing/sessions/${sessionId}`)).json()) as { status: string; seconds_processed: number };
    expect(status.status).toBe("ended");
    await expect.poll(() => show.locator("livedub-picture").count()).toBe(0);
    await expect.poll(() => show.locator("livedub-subtitles").count()).toBe(0);

    const quota = (await (await api("/api/v1/dubbing/quota/check", { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } })).json()) as {
      minutes_used: number;
    };
    expect(quota.minutes_used).toBeGreaterThan(0);
    const meter = popup.locator("#usage-meter");
    await expect.poll(() => meter.evaluate((m: HTMLMeterElement) => m.value), { timeout: 10_000 }).toBeCloseTo(quota.minutes_used, 2);
    expect(await popup.locator("#usage-text").textContent()).toMatch(/^[\d.]+ of 5 min used today, [\d.]+ left$/);
  }, 60_000);

  it("downloads the session's subtitles from the popup", async () => {
    await popup.locator("#keep button").waitFor({ state: "visible", timeout: 10_000 });
    await popup.locator('#keep select[name="subtitleFormat"]').selectOption("srt");
    const [download] = await Promise.all([popup.waitForEvent("download"), popup.locator("#keep button").click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^livedub-${sessionId.slice(0, 8)}-translation-es\\.srt$`));
    const text = await readFile((await download.path())!, "utf8");
    expect(text).toMatch(/^1\n00:00:\d\d,\d{3} --> /);
    expect(text).toContain(subtitle);
    await popup.screenshot({ path: artifactPath("popup-session.png"), fullPage: true });
    expect(consoleLines).toEqual([]);
  }, 30_000);
});
