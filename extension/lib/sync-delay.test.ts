import { describe, expect, it } from "vitest";
import { MAX_SYNC_DELAY_MS, SyncDelayMeter } from "./sync-delay";

describe("SyncDelayMeter", () => {
  it("holds back the slow end of the recent segments, plus a margin", () => {
    const meter = new SyncDelayMeter();
    expect(meter.delayMs).toBeNull();
    expect(meter.record("dub", 0, 2000)).toBe(true);
    expect(meter.delayMs).toBe(2150);
    for (const [segment, ms] of [[1, 2100], [2, 1900], [3, 2050], [4, 2600]] as const) meter.record("dub", segment, ms);
    expect(meter.delayMs).toBe(2750); // p90 of five is the slowest
  });

  it("moves only when the estimate moves by a quarter second", () => {
    const meter = new SyncDelayMeter();
    meter.record("dub", 0, 2000);
    expect(meter.record("dub", 1, 2200)).toBe(false);
    expect(meter.delayMs).toBe(2150);
    expect(meter.record("dub", 2, 2500)).toBe(true);
    expect(meter.delayMs).toBe(2650);
  });

  it("counts each segment once, prefers dubs once there are any, and stays within bounds", () => {
    const meter = new SyncDelayMeter();
    meter.record("subtitle", 0, 900);
    expect(meter.delayMs).toBe(1050);
    expect(meter.record("subtitle", 0, 5000)).toBe(false); // a repeat of segment 0
    meter.record("dub", 0, 3000);
    expect(meter.delayMs).toBe(3150);
    meter.record("dub", 1, 60_000);
    expect(meter.delayMs).toBe(MAX_SYNC_DELAY_MS);
    expect(meter.record("dub", 2, Number.NaN)).toBe(false);
  });
});
