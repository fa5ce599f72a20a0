// A test harness page (a folder with index.html and its script) built by Vite,
// served on the loopback, and a Chromium that may play sound without a gesture.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { launchChromium, type LaunchedBrowser } from "./chromium";
import { type LocalSite, serveDirectory } from "./local-site";

export interface HarnessSite {
  site: LocalSite;
  browser: LaunchedBrowser;
  close(): Promise<void>;
}

/** Builds `e2e/<folder>/`, serves it and launches Chromium. */
export async function openHarness(folder: string): Promise<HarnessSite> {
  const outDir = await mkdtemp(join(tmpdir(), `livedub-${folder}-`));
  await build({
    configFile: false,
    root: fileURLToPath(new URL(`./${folder}/`, import.meta.url)),
    logLevel: "warn",
    build: { outDir, emptyOutDir: true, target: "es2022" },
  });
  const site = await serveDirectory(outDir);
  const browser = await launchChromium({ extraFlags: ["--autoplay-policy=no-user-gesture-required"] });
  return {
    site,
    browser,
    async close() {
      await browser.close();
      await site.close();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}
