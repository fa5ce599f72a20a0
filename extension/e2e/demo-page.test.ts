// The built demo page in Chromium, served under /demo/ as the ingress serves it.
// With no backend behind it the page must still load whole and say what is wrong;
// the streaming run against the real stack is demo-streaming.test.ts.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactPath } from "./artifacts";
import { chromiumPath, launchChromium, type LaunchedBrowser } from "./chromium";
import { type LocalSite, serveDirectory } from "./local-site";

const DEMO_DIR = fileURLToPath(new URL("../dist/demo/", import.meta.url));
const runnable = chromiumPath() !== null || process.env.CI === "true";

describe.skipIf(!runnable)("demo page in Chromium (e2e)", () => {
  let site: LocalSite;
  let browser: LaunchedBrowser;

  beforeAll(async () => {
    if (!existsSync(`${DEMO_DIR}index.html`)) throw new Error(`no demo page at ${DEMO_DIR}: run \`just ext-build\``);
    site = await serveDirectory(DEMO_DIR, "/demo/");
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it("loads from /demo/ and reports a server without the livedub API", async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.setViewportSize({ width: 1100, height: 760 });
    await page.goto(`${site.url}demo/`);
    const message = page.locator("#message.error");
    await message.waitFor();
    expect(await message.textContent()).toContain(`No livedub configuration from http://127.0.0.1:${site.port}`);
    expect(await page.locator("#toggle").isDisabled()).toBe(true);
    expect(await page.locator("#file").getAttribute("accept")).toBe("audio/*,video/*");
    expect(errors).toEqual([]);
    await page.screenshot({ path: artifactPath("demo-no-backend.png"), fullPage: true });
    await page.close();
  });
});
