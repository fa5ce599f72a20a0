// The capture path as the browser runs it: AudioWorklet at the context's rate ->
// 16 kHz s16le frames of 100 ms, arriving in real time, the tone intact.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frequency, rms } from "../test-support/signal";
import { chromiumPath, type LaunchedBrowser } from "./chromium";
import { type HarnessSite, openHarness } from "./harness-site";
import type { CaptureResult } from "./capture-harness/harness";
import type { LocalSite } from "./local-site";

const runnable = chromiumPath() !== null || process.env.CI === "true";

describe.skipIf(!runnable)("capture worklet in Chromium (e2e)", () => {
  let harness: HarnessSite;
  let site: LocalSite;
  let browser: LaunchedBrowser;

  beforeAll(async () => {
    harness = await openHarness("capture-harness");
    ({ site, browser } = harness);
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
  });

  it.each([48_000, 44_100])("turns a %i Hz context's 1 kHz tone into paced 3200-byte frames", async (rate) => {
    const page = await browser.context.newPage();
    await page.goto(site.url);
    const seconds = 1.5;
    const result: CaptureResult = await page.evaluate(([r, s]) => window.captureTone(1000, s, r), [rate, seconds] as const);
    await page.close();

    expect(result.contextRate).toBe(rate);
    expect(new Set(result.frameBytes)).toEqual(new Set([3200]));
    expect(result.frameBytes.length).toBeGreaterThanOrEqual(seconds * 10 - 2);
    expect(result.frameBytes.length).toBeLessThanOrEqual(seconds * 10 + 3);
    // Real time: frames come as the audio plays, not all at once.
    const spanMs = result.arrivalMs.at(-2)! - result.arrivalMs[0]!;
    expect(spanMs).toBeGreaterThan(seconds * 1000 * 0.7);

    const voiced = result.samples.slice(1600, 1600 + 16000);
    expect(frequency(voiced, 16_000)).toBeCloseTo(1000, 0);
    expect(rms(voiced) * Math.SQRT2).toBeCloseTo(0.5, 1);
  }, 30_000);
});
