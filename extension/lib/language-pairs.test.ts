import { describe, expect, it } from "vitest";
import type { ExtensionConfig } from "../types/api";
import { pairServed, unservedNotice } from "./language-pairs";

const offline: ExtensionConfig = {
  free_tier_minutes_per_day: 5,
  premium_tier_price_usd: 5,
  supported_languages: ["en", "es"],
  supported_sites: [],
  audio_sample_rate: 16000,
  max_session_duration_minutes: 120,
  frame_ms: 100,
  source_languages: ["he", "en"],
  language_pairs: [
    { source: "he", target: "en", served: false },
    { source: "he", target: "es", served: false },
    { source: "en", target: "es", served: true },
  ],
};

describe("language pairs", () => {
  it("knows the pairs the server serves, and the same language needs no engine", () => {
    expect(pairServed(offline, "en", "es")).toBe(true);
    expect(pairServed(offline, "he", "en")).toBe(false);
    expect(pairServed(offline, "en", "en")).toBe(true);
  });

  it("tells the viewer what a pair without an engine will not get, per mode", () => {
    const both = unservedNotice(offline, "he", { mode: "both", targetLanguage: "es", subtitleLanguage: "en" });
    expect(both).toContain("subtitles will stay in Hebrew");
    expect(both).toContain("no Spanish dub");
    const dub = unservedNotice(offline, "he", { mode: "dub", targetLanguage: "en", subtitleLanguage: "en" });
    expect(dub).not.toContain("subtitles");
    expect(unservedNotice(offline, "en", { mode: "both", targetLanguage: "es", subtitleLanguage: "es" })).toBeNull();
  });

  it("says nothing when the server does not list its pairs", () => {
    const older = { ...offline, language_pairs: [] };
    expect(unservedNotice(older, "he", { mode: "both", targetLanguage: "en", subtitleLanguage: "en" })).toBeNull();
  });
});
