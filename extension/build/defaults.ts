// The one place build-time defaults live: read by lib/build-config.ts (bundled
// code) and by the Vite configs (manifest generation, dev proxy).

export const buildDefaults = {
  VITE_API_BASE_URL: "http://127.0.0.1:8080",
  VITE_WS_BASE_URL: "ws://127.0.0.1:8080",
  VITE_AUDIO_SAMPLE_RATE: "16000",
  VITE_RECONNECT_INITIAL_DELAY_MS: "1000",
  VITE_RECONNECT_MAX_DELAY_MS: "30000",
  VITE_RECONNECT_MAX_ATTEMPTS: "5",
  VITE_SUPPORTED_SITES: "mako.co.il,13tv.co.il,screenil.com",
} as const;

export type BuildSetting = keyof typeof buildDefaults;
