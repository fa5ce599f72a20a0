/// <reference types="vite/client" />

// Build-time settings (see .env.example); read only by lib/build-config.ts.
interface ImportMetaEnv {
  readonly VITE_API_BASE_URL?: string;
  readonly VITE_WS_BASE_URL?: string;
  readonly VITE_AUDIO_SAMPLE_RATE?: string;
  readonly VITE_RECONNECT_INITIAL_DELAY_MS?: string;
  readonly VITE_RECONNECT_MAX_DELAY_MS?: string;
  readonly VITE_RECONNECT_MAX_ATTEMPTS?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
