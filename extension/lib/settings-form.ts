// The settings controls shared by the popup and the demo page: mode, dub and
// subtitle languages (from the server's config), voice (from /voices),
// bilingual lines, the ducking level and synced mode.
import type { ExtensionConfig, VoiceOption } from "../types/api";
import { element, field } from "./dom";
import { unservedNotice } from "./language-pairs";
import type { Mode, UserSettings } from "./user-settings";

export interface SettingsFormOptions {
  config: ExtensionConfig;
  settings: UserSettings;
  /** Offer synced mode (the extension holds a page's video back; the demo page has none). */
  syncable?: boolean;
  loadVoices: (language: string) => Promise<VoiceOption[]>;
  onChange: (settings: UserSettings) => void;
  /** The language the show speaks, for the notice about pairs no engine serves. */
  sourceLanguage: () => string;
}

const MODES: ReadonlyArray<[Mode, string]> = [
  ["dub", "Dub"],
  ["subtitles", "Subtitles"],
  ["both", "Both"],
];

const languageNames = new Intl.DisplayNames(["en"], { type: "language" });

function languageName(code: string): string {
  return languageNames.of(code) ?? code;
}

/** Replaces a select's options with the languages, by name, `value` selected. */
export function fillLanguageOptions(select: HTMLSelectElement, languages: readonly string[], value: string): void {
  select.replaceChildren(...languages.map((code) => new Option(languageName(code), code, false, code === value)));
}

function languageSelect(name: string, languages: readonly string[], value: string): HTMLSelectElement {
  const select = element("select", { name });
  fillLanguageOptions(select, languages, value);
  return select;
}

/** Builds the form into `root`; every change is reported with the complete new settings. */
export function renderSettingsForm(root: HTMLElement, options: SettingsFormOptions): void {
  let settings = { ...options.settings };
  const languages = options.config.supported_languages;

  const modes = element("fieldset", { className: "modes" }, element("legend", {}, "Mode"));
  for (const [mode, label] of MODES) {
    const radio = element("input", { type: "radio", name: "mode", value: mode, checked: settings.mode === mode });
    modes.append(element("label", {}, radio, label));
  }
  const dubLanguage = languageSelect("targetLanguage", languages, settings.targetLanguage);
  const subtitleLanguage = languageSelect("subtitleLanguage", languages, settings.subtitleLanguage);
  const voice = element("select", { name: "voiceId" });
  const bilingual = element("input", { type: "checkbox", name: "bilingual", checked: settings.bilingual });
  const duck = element("input", {
    type: "range",
    name: "duckLevel",
    min: "0",
    max: "1",
    step: "0.05",
    value: String(settings.duckLevel),
  });

  const synced = element("input", { type: "checkbox", name: "synced", checked: settings.synced });
  const dubFields = [
    field("Dub language", dubLanguage),
    field("Voice", voice),
    field("Original volume under the dub", duck),
  ];
  const syncField = element("label", { className: "field inline" }, synced, "Synced: hold the video back so the dub lands on the lips");
  const subtitleFields = [
    field("Subtitle language", subtitleLanguage),
    element("label", { className: "field inline" }, bilingual, "Show the original line too"),
  ];
  const pairNotice = element("p", { className: "notice pair-notice" });
  pairNotice.setAttribute("role", "status");
  root.replaceChildren(modes, ...dubFields, ...subtitleFields, ...(options.syncable ? [syncField] : []), pairNotice);

  const refreshEnabled = (): void => {
    for (const f of dubFields) f.hidden = settings.mode === "subtitles";
    for (const f of subtitleFields) f.hidden = settings.mode === "dub";
    const notice = unservedNotice(options.config, options.sourceLanguage(), settings);
    pairNotice.textContent = notice ?? "";
    pairNotice.hidden = notice === null;
  };

  const update = (patch: Partial<UserSettings>): void => {
    settings = { ...settings, ...patch };
    refreshEnabled();
    options.onChange(settings);
  };

  let voicesFor = "";
  const refreshVoices = async (): Promise<void> => {
    const language = settings.targetLanguage;
    voicesFor = language;
    voice.replaceChildren(new Option("Default voice", ""));
    voice.disabled = true;
    let voices: VoiceOption[] = [];
    try {
      voices = await options.loadVoices(language);
    } catch {
      voice.replaceChildren(new Option("Voices unavailable: default", ""));
    }
    if (voicesFor !== language) return;
    for (const v of voices) {
      const label = v.gender ? `${v.name} (${v.gender})` : v.name;
      voice.append(new Option(label, v.id, false, v.id === settings.voiceId));
    }
    voice.disabled = false;
    if (settings.voiceId !== null && !voices.some((v) => v.id === settings.voiceId)) update({ voiceId: null });
  };

  modes.addEventListener("change", (event) => {
    update({ mode: (event.target as HTMLInputElement).value as Mode });
  });
  dubLanguage.addEventListener("change", () => {
    update({ targetLanguage: dubLanguage.value, voiceId: null });
    void refreshVoices();
  });
  subtitleLanguage.addEventListener("change", () => update({ subtitleLanguage: subtitleLanguage.value }));
  voice.addEventListener("change", () => update({ voiceId: voice.value === "" ? null : voice.value }));
  bilingual.addEventListener("change", () => update({ bilingual: bilingual.checked }));
  duck.addEventListener("input", () => update({ duckLevel: Number(duck.value) }));
  synced.addEventListener("change", () => update({ synced: synced.checked }));

  refreshEnabled();
  void refreshVoices();
}
