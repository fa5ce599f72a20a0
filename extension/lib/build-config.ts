// Build-time configuration: Vite inlines VITE_* variables; defaults in build/defaults.ts.
import { buildDefaults, type BuildSetting } from "../build/defaults";

type RuntimeSetting = Exclude<BuildSetting, "VITE_SUPPORTED_SITES">;

function setting(name: RuntimeSetting): string {
  const value = import.meta.env[name];
  return value !== undefined && value !== "" ? value : buildDefaults[name];
}

function positiveInt(name: RuntimeSetting): number {
  const value = Number(setting(name));
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got ${setting(name)}`);
  }
  return value;
}

export interface ReconnectPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
}

export interface BuildConfig {
  apiBaseUrl: string;
  wsBaseUrl: string;
  audioSampleRate: number;
  reconnect: ReconnectPolicy;
}

export const buildConfig: BuildConfig = {
  apiBaseUrl: setting("VITE_API_BASE_URL").replace(/\/+$/, ""),
  wsBaseUrl: setting("VITE_WS_BASE_URL").replace(/\/+$/, ""),
  audioSampleRate: positiveInt("VITE_AUDIO_SAMPLE_RATE"),
  reconnect: {
    initialDelayMs: positiveInt("VITE_RECONNECT_INITIAL_DELAY_MS"),
    maxDelayMs: positiveInt("VITE_RECONNECT_MAX_DELAY_MS"),
    maxAttempts: positiveInt("VITE_RECONNECT_MAX_ATTEMPTS"),
  },
};
