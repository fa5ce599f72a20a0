import { describe, expect, it } from "vitest";
import { memoryStore } from "../test-support/memory-store";
import { describeUsage } from "../lib/usage-snapshot";
import type { ApiClient } from "../lib/api-client";
import { UsageTracker } from "./usage-tracker";

const free = {
  allowed: true,
  tier: "free" as const,
  minutes_used: 1.25,
  minutes_remaining: 3.75,
  daily_limit_minutes: 5,
  resets_at: "2099-01-02T00:00:00Z",
};

// The tracker only reaches the API to sync; these tests do not.
const noApi = {} as ApiClient;

describe("UsageTracker", () => {
  it("keeps what the server said and describes it for the meter", async () => {
    const tracker = new UsageTracker(memoryStore(), noApi);
    expect(await tracker.snapshot()).toBeNull();
    await tracker.record(free);
    const usage = (await tracker.snapshot())!;
    expect(usage).toEqual({ tier: "free", minutesUsed: 1.25, minutesRemaining: 3.75, dailyLimitMinutes: 5, resetsAt: free.resets_at });
    expect(describeUsage(usage)).toBe("1.3 of 5 min used today, 3.8 left");
  });

  it("moves the meter with the flow's usage events between syncs", async () => {
    const tracker = new UsageTracker(memoryStore(), noApi);
    await tracker.record(free);
    await tracker.recordRemaining(120);
    expect(await tracker.snapshot()).toMatchObject({ minutesRemaining: 2, minutesUsed: 3 });
    expect(describeUsage((await tracker.snapshot())!)).toBe("3 of 5 min used today, 2 left");
  });

  it("leaves premium (no limit) and unknown remainders alone", async () => {
    const tracker = new UsageTracker(memoryStore(), noApi);
    await tracker.record({ ...free, tier: "premium", minutes_remaining: null, daily_limit_minutes: null, minutes_used: 12 });
    await tracker.recordRemaining(60);
    const usage = (await tracker.snapshot())!;
    expect(usage.minutesUsed).toBe(12);
    expect(describeUsage(usage)).toBe("12 min used today (premium, no limit)");
    const fresh = new UsageTracker(memoryStore(), noApi);
    await fresh.recordRemaining(60); // nothing recorded yet: nothing to move
    expect(await fresh.snapshot()).toBeNull();
  });
});
