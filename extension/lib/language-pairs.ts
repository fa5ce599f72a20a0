// Whether the server has an engine for the languages the viewer chose: offline,
// nothing translates Hebrew, and a viewer should hear so before pressing Start,
// not find Hebrew subtitles and silence afterwards.
import type { ExtensionConfig } from "../types/api";
import type { UserSettings } from "./user-settings";

const names = new Intl.DisplayNames(["en"], { type: "language" });

function name(code: string): string {
  return names.of(code) ?? code;
}

/** Whether an engine serves source -> target (a pair the server does not list is assumed served). */
export function pairServed(config: ExtensionConfig, source: string, target: string): boolean {
  if (source === target) return true;
  const pair = (config.language_pairs ?? []).find((p) => p.source === source && p.target === target);
  return pair?.served ?? true;
}

/** A sentence about what the chosen languages will not get, or null when every part is served. */
export function unservedNotice(
  config: ExtensionConfig,
  source: string,
  settings: Pick<UserSettings, "mode" | "targetLanguage" | "subtitleLanguage">,
): string | null {
  const missing: string[] = [];
  const subtitles = settings.mode !== "dub" && !pairServed(config, source, settings.subtitleLanguage);
  const dub = settings.mode !== "subtitles" && !pairServed(config, source, settings.targetLanguage);
  if (subtitles) missing.push(`subtitles will stay in ${name(source)} (no ${name(settings.subtitleLanguage)})`);
  if (dub) missing.push(`there will be no ${name(settings.targetLanguage)} dub`);
  if (missing.length === 0) return null;
  return `No engine on this server translates ${name(source)} into the language you chose: ${missing.join(", and ")}. The cloud providers serve it.`;
}
