// A build of the extension for one backend (its API and socket URLs are build-time
// settings), into a folder of its own, and the id Chromium gives it there.
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { build } from "vite";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Builds the extension talking to `apiBaseUrl` into `outDir` (as `just ext-build` does). */
export async function buildExtensionFor(apiBaseUrl: string, outDir: string): Promise<void> {
  const saved = { ...process.env };
  process.env.VITE_API_BASE_URL = apiBaseUrl;
  process.env.VITE_WS_BASE_URL = apiBaseUrl.replace(/^http/, "ws");
  try {
    for (const [config, empty] of [["vite.config.ts", true], ["vite.content.config.ts", false]] as const) {
      await build({
        root: ROOT,
        configFile: `${ROOT}${config}`,
        logLevel: "warn",
        build: { outDir, emptyOutDir: empty },
      });
    }
  } finally {
    process.env = saved;
  }
}

/** The id of an unpacked extension loaded from `dir`: Chromium derives it from the path. */
export function unpackedExtensionId(dir: string): string {
  const hex = createHash("sha256").update(dir.replace(/\/+$/, "")).digest("hex").slice(0, 32);
  return [...hex].map((digit) => String.fromCharCode(97 + Number.parseInt(digit, 16))).join("");
}
