import { describe, expect, it } from "vitest";
import { memoryStore } from "../test-support/memory-store";
import type { ExtensionConfig } from "../types/api";
import { loadSettings, saveSettings, sessionRequest } from "./user-settings";

const config: ExtensionConfig = {
  free_tier_minutes_per_day: 5,
  premium_tier_price_usd: 5,
  supported_languages: ["en", "es"],
  supported_sites: ["mako.co.il"],
  audio_sample_rate: 16000,
  max_session_duration_minutes: 120,
  frame_ms: 100,
  source_languages: ["he"],
  language_pairs: [],
};

describe("user settings", () => {
  it("maps each mode onto the session type the backend expects", async () => {
    const settings = await loadSettings(memoryStore(), config);
    const both = sessionRequest({ ...settings, subtitleLanguage: "es", voiceId: "v1" }, "he");
    expect(both).toEqual({
      session_type: { audio_dubbing: true, live_subtitles: true, subtitle_language: "es" },
      source_language: "he",
      target_language: "en",
      voice_id: "v1",
    });
    expect(sessionRequest({ ...settings, mode: "dub" }, "he").session_type).toEqual({
      audio_dubbing: true,
      live_subtitles: false,
      subtitle_language: null,
    });
    expect(sessionRequest({ ...settings, mode: "subtitles" }, "he").session_type).toMatchObject({
      audio_dubbing: false,
      live_subtitles: true,
    });
  });

  it("persists choices and replaces languages the server no longer offers", async () => {
    const store = memoryStore();
    const settings = await loadSettings(store, config);
    await saveSettings(store, { ...settings, targetLanguage: "es", bilingual: true });
    expect(await loadSettings(store, config)).toMatchObject({ targetLanguage: "es", bilingual: true });
    const englishOnly = { ...config, supported_languages: ["en"] };
    expect(await loadSettings(store, englishOnly)).toMatchObject({ targetLanguage: "en", subtitleLanguage: "en" });
  });
});
