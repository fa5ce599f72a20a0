// The MV3 manifest, generated at build time: host permissions follow the
// configured API origin and supported sites.
import { sitePattern } from "../lib/site-match.ts";
import { buildDefaults } from "./defaults.ts";

export interface ManifestEnv {
  VITE_API_BASE_URL?: string;
  VITE_SUPPORTED_SITES?: string;
}

export function extensionManifest(env: ManifestEnv, version: string): chrome.runtime.ManifestV3 {
  const apiOrigin = new URL(env.VITE_API_BASE_URL || buildDefaults.VITE_API_BASE_URL).origin;
  const sites = (env.VITE_SUPPORTED_SITES || buildDefaults.VITE_SUPPORTED_SITES)
    .split(",")
    .map((site) => site.trim())
    .filter((site) => site !== "");
  const sitePatterns = sites.map(sitePattern);
  return {
    manifest_version: 3,
    name: "livedub",
    description: "Live English and Spanish dubbing and subtitles for Hebrew TV in the browser.",
    version,
    minimum_chrome_version: "116",
    // tabCapture + offscreen: capture the tab in an offscreen document; activeTab: the
    // popup's click grants capture of that tab; alarms: periodic usage sync.
    permissions: ["tabCapture", "offscreen", "storage", "activeTab", "alarms"],
    host_permissions: [`${apiOrigin}/*`, ...sitePatterns],
    background: { service_worker: "background.js", type: "module" },
    action: { default_title: "livedub", default_popup: "popup/popup.html" },
    content_scripts: [{ matches: sitePatterns, js: ["content.js"], run_at: "document_idle" }],
  };
}
