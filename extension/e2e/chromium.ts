// Launches Debian's Chromium (never a downloaded browser) through playwright-core,
// with the unpacked extension loaded, in new headless mode, in a fresh profile.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Worker } from "playwright-core";

const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** The Chromium binary (LIVEDUB_CHROMIUM overrides), or null when none is installed. */
export function chromiumPath(): string | null {
  const path = process.env.LIVEDUB_CHROMIUM || DEFAULT_CHROMIUM;
  return existsSync(path) ? path : null;
}

/** Quiet, offline, reproducible: no background traffic, no first-run UI, no sandbox (root in CI). */
const BASE_FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface LaunchOptions {
  /** Unpacked extension directory to load. */
  extensionDir?: string;
  /** e.g. ["MAP www.mako.co.il 127.0.0.1:PORT"]: reach a local page under a real site's name. */
  hostRules?: string[];
  /**
   * Let the extension capture tabs without the toolbar click that grants it (tests cannot
   * click the toolbar): Chromium's allowlist for tab capture, by the extension's id.
   */
  tabCaptureFor?: string;
  extraFlags?: string[];
}

export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(options: LaunchOptions = {}): Promise<LaunchedBrowser> {
  const executablePath = chromiumPath();
  if (!executablePath) {
    throw new Error(`no Chromium at ${process.env.LIVEDUB_CHROMIUM || DEFAULT_CHROMIUM}: apt-get install chromium`);
  }
  const profile = await mkdtemp(join(tmpdir(), "livedub-chromium-"));
  const args = [...BASE_FLAGS, ...(options.extraFlags ?? [])];
  if (options.extensionDir) {
    args.push(`--disable-extensions-except=${options.extensionDir}`, `--load-extension=${options.extensionDir}`);
  }
  if (options.hostRules?.length) args.push(`--host-resolver-rules=${options.hostRules.join(", ")}`);
  if (options.tabCaptureFor) args.push(`--allowlisted-extension-id=${options.tabCaptureFor}`);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: false, // headless comes from --headless=new above, which keeps extensions working
    args,
    ignoreDefaultArgs: ["--disable-extensions"],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The extension's service worker, once it has started. */
export async function extensionWorker(context: BrowserContext): Promise<Worker> {
  const running = context.serviceWorkers().find((w) => w.url().startsWith("chrome-extension://"));
  return running ?? context.waitForEvent("serviceworker", { predicate: (w) => w.url().startsWith("chrome-extension://") });
}

export function extensionId(worker: Worker): string {
  return new URL(worker.url()).host;
}
