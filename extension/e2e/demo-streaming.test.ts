// The demo page against a real local stack (ingress, Kafka, flow, Redis): a
// development token, English speech from Chromium's fake microphone (a WAV it
// loops), Spanish subtitles and dubbed speech back, and the subtitles kept as a file. tests/extension/test_demo_e2e.py
// starts the stack, writes the WAV and runs this file with:
//   LIVEDUB_DEMO_URL       the ingress, e.g. http://127.0.0.1:PORT
//   LIVEDUB_DEMO_SPEECH    the WAV (16 kHz mono) the fake microphone plays
//   LIVEDUB_DEMO_SUBTITLE  a phrase the Spanish subtitles must contain
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactPath } from "./artifacts";
import { launchChromium, type LaunchedBrowser } from "./chromium";

const stackUrl = process.env.LIVEDUB_DEMO_URL ?? "";
const speech = process.env.LIVEDUB_DEMO_SPEECH ?? "";
const subtitle = process.env.LIVEDUB_DEMO_SUBTITLE ?? "";

/** The first utterance pays for loading the speech models in the flow. */
const RESULTS_TIMEOUT_MS = 60_000;

/** Console errors and warnings of the page, for failure messages. */
const consoleLines: string[] = [];

async function pageState(page: Page): Promise<string> {
  const [message, log] = await Promise.all([
    page.locator("#message").textContent(),
    page.locator("#log").innerText(),
  ]);
  return `message: ${message ?? ""}\npage log:\n${log}\nconsole:\n${consoleLines.join("\n")}`;
}

/** Waits until the page's event log has a line matching `pattern`; fails with the log. */
async function logLine(page: Page, pattern: RegExp, what: string, timeoutMs = RESULTS_TIMEOUT_MS): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = await page.locator("#log li").allInnerTexts();
    const found = lines.find((line) => pattern.test(line));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s\n${await pageState(page)}`);
    await page.waitForTimeout(250);
  }
}

describe.skipIf(stackUrl === "")("demo page streaming to the local stack (e2e)", () => {
  let browser: LaunchedBrowser;

  beforeAll(async () => {
    browser = await launchChromium({
      extraFlags: [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        `--use-file-for-fake-audio-capture=${speech}`,
        "--autoplay-policy=no-user-gesture-required",
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("turns English microphone speech into Spanish subtitles and dubbed speech", async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") consoleLines.push(`${message.type()}: ${message.text()}`);
    });
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.goto(`${stackUrl}/demo/`);

    await page.locator("#dev-token").click();
    await page.locator("#message", { hasText: "Signed in as demo" }).waitFor({ timeout: 10_000 });
    expect(await page.locator("#token").inputValue()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    await page.locator("#source-language").selectOption("en");
    await page.locator('input[name="source"][value="mic"]').check();
    await page.locator('input[name="mode"][value="both"]').check();
    await page.locator('select[name="targetLanguage"]').selectOption("es");
    await page.locator('select[name="subtitleLanguage"]').selectOption("es");
    // The voices need the token: listed once signed in.
    await page.locator('select[name="voiceId"] option[value="espeak:es"]').waitFor({ state: "attached", timeout: 10_000 });

    await page.locator("#toggle").click();
    await page.locator("#toggle", { hasText: "Stop" }).waitFor({ timeout: 15_000 }).catch(async () => {
      throw new Error(`the session did not start\n${await pageState(page)}`);
    });
    await logLine(page, /socket: open/, "open socket", 15_000);

    await logLine(page, new RegExp(`subtitle \\[es\\].*${subtitle}`, "i"), `subtitle containing "${subtitle}"`);
    await logLine(page, /transcript \[en\] #\d+: .*\w/, "English transcript");
    await logLine(page, /dub \[es\] #\d+: \d+ chunks, \d+\.\d s/, "dubbed speech");
    expect(await page.locator("#dub-status").textContent()).toMatch(/^Dubbed speech: [1-9]\d* segments/);
    await page.screenshot({ path: artifactPath("demo-streaming.png"), fullPage: true });

    await page.locator("#toggle").click();
    await logLine(page, /session ended: \d+\.\d s processed/, "end of the session", 20_000);
    expect(await page.locator("#toggle").textContent()).toBe("Start");

    // The session's subtitles to keep, after it ended: the Spanish lines as WebVTT.
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#keep button").click()]);
    expect(download.suggestedFilename()).toMatch(/^livedub-[0-9a-f]{8}-translation-es\.vtt$/);
    const kept = await readFile((await download.path())!, "utf8");
    expect(kept.startsWith("WEBVTT")).toBe(true);
    expect(kept).toMatch(new RegExp(subtitle, "i"));
    expect(await page.locator("#message.error").count(), await pageState(page)).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
