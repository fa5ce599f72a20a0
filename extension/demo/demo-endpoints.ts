// Where the demo's API lives: the ingress serves the page at /demo, so the page's
// own origin when served over HTTP(S); the build-time URLs otherwise (file://).
import { buildConfig } from "../lib/build-config";

export interface Endpoints {
  apiBaseUrl: string;
  wsBaseUrl: string;
}

export function demoEndpoints(location: Location): Endpoints {
  if (location.protocol === "http:" || location.protocol === "https:") {
    const ws = location.protocol === "https:" ? "wss:" : "ws:";
    return { apiBaseUrl: location.origin, wsBaseUrl: `${ws}//${location.host}` };
  }
  return { apiBaseUrl: buildConfig.apiBaseUrl, wsBaseUrl: buildConfig.wsBaseUrl };
}

/**
 * A development token from the ingress's dev endpoint (absent in production:
 * then null, and the viewer pastes one from `just token`).
 */
export async function fetchDevToken(apiBaseUrl: string, user: string): Promise<string | null> {
  const response = await fetch(`${apiBaseUrl}/api/v1/dev/token?user=${encodeURIComponent(user)}`);
  if (!response.ok) return null;
  const text = (await response.text()).trim();
  if (!text.startsWith("{")) return text;
  const body = JSON.parse(text) as { token?: unknown };
  return typeof body.token === "string" ? body.token : null;
}
