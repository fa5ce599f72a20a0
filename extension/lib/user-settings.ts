// The viewer's choices (mode, languages, voice, overlay, ducking), persisted in a
// KeyValueStore and turned into the backend's CreateSessionRequest.
import type { CreateSessionRequest, ExtensionConfig } from "../types/api";
import type { KeyValueStore } from "./kv-store";

export type Mode = "dub" | "subtitles" | "both";

export interface UserSettings {
  mode: Mode;
  /** Language of the dubbed speech. */
  targetLanguage: string;
  /** Language of the subtitles (may differ from the dub's). */
  subtitleLanguage: string;
  voiceId: string | null;
  /** Show the original transcript above the translation. */
  bilingual: boolean;
  /** Volume of the original audio while the dub speaks, 0..1. */
  duckLevel: number;
  /** Synced mode: hold the page's picture and sound back so the dub lands on the lips. */
  synced: boolean;
}

export const SETTINGS_KEY = "livedub.settings";

const baseSettings: UserSettings = {
  mode: "both",
  targetLanguage: "",
  subtitleLanguage: "",
  voiceId: null,
  bilingual: false,
  duckLevel: 0.2,
  synced: false,
};

/** Stored settings, with languages the backend does not (or no longer) offer replaced. */
export async function loadSettings(
  store: KeyValueStore,
  config: ExtensionConfig | null,
): Promise<UserSettings> {
  const stored = (await store.get<Partial<UserSettings>>(SETTINGS_KEY)) ?? {};
  const settings: UserSettings = { ...baseSettings, ...stored };
  const languages = config?.supported_languages ?? [];
  const fallback = languages[0] ?? settings.targetLanguage;
  if (languages.length > 0) {
    if (!languages.includes(settings.targetLanguage)) {
      settings.targetLanguage = fallback;
      settings.voiceId = null;
    }
    if (!languages.includes(settings.subtitleLanguage)) settings.subtitleLanguage = fallback;
  }
  return settings;
}

export async function saveSettings(store: KeyValueStore, settings: UserSettings): Promise<void> {
  await store.set(SETTINGS_KEY, settings);
}

export function isSettingsKey(key: string): boolean {
  return key === SETTINGS_KEY;
}

export function sessionRequest(settings: UserSettings, sourceLanguage: string): CreateSessionRequest {
  const subtitles = settings.mode !== "dub";
  return {
    session_type: {
      audio_dubbing: settings.mode !== "subtitles",
      live_subtitles: subtitles,
      subtitle_language: subtitles ? settings.subtitleLanguage : null,
    },
    source_language: sourceLanguage,
    target_language: settings.targetLanguage,
    voice_id: settings.voiceId,
  };
}
