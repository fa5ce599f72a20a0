// The extension's media code as the browser runs it: ducking (the original's level
// under a dub and after it) and synced mode's held-back picture over a <video>.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, type LaunchedBrowser } from "./chromium";
import { type HarnessSite, openHarness } from "./harness-site";
import type { DuckingResult, LevelSample } from "./media-harness/harness";
import type { LocalSite } from "./local-site";

const runnable = chromiumPath() !== null || process.env.CI === "true";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const levelBetween = (samples: LevelSample[], from: number, to: number) =>
  median(samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.rms));

describe.skipIf(!runnable)("media in Chromium (e2e)", () => {
  let harness: HarnessSite;
  let site: LocalSite;
  let browser: LaunchedBrowser;

  beforeAll(async () => {
    harness = await openHarness("media-harness");
    ({ site, browser } = harness);
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
  });

  it("ducks the original to the chosen level while the dub plays, and brings it back after", async () => {
    const page = await browser.context.newPage();
    await page.goto(site.url);
    const { samples, dubSeconds }: DuckingResult = await page.evaluate(() => window.duckUnderDub(0.2, 1.0));
    await page.close();

    const before = levelBetween(samples, -0.5, -0.05);
    const during = levelBetween(samples, 0.35, dubSeconds - 0.05);
    // The ducker holds 0.4 s after the dub ends, then ramps back (time constant 0.08 s).
    const held = levelBetween(samples, dubSeconds + 0.05, dubSeconds + 0.3);
    const after = levelBetween(samples, dubSeconds + 0.9, dubSeconds + 1.4);
    expect(before).toBeCloseTo(Math.SQRT1_2, 1); // a full-scale sine
    expect(during / before).toBeCloseTo(0.2, 1);
    expect(held / before).toBeLessThan(0.35);
    expect(after / before).toBeGreaterThan(0.9);
  }, 30_000);

  it("holds a <video>'s picture back by the delay it is given, to 150 ms", async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 800, height: 500 });
    await page.goto(site.url);
    const behindMs: number[] = await page.evaluate(() => window.holdPicture(1500, 12));
    await page.close();
    expect(behindMs).toHaveLength(12);
    expect(Math.abs(median(behindMs) - 1500), behindMs.join(", ")).toBeLessThan(150);
  }, 30_000);
});
