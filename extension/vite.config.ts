// Extension build: popup and offscreen pages, the service worker (an ES module),
// and manifest.json. The content script is a classic script: vite.content.config.ts.
import { readFileSync } from "node:fs";
import { defineConfig, loadEnv, type Plugin } from "vite";
import { extensionManifest } from "./build/manifest.ts";

const packageVersion = (JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as {
  version: string;
}).version;

function manifestPlugin(mode: string): Plugin {
  return {
    name: "livedub-manifest",
    generateBundle() {
      const env = loadEnv(mode, process.cwd(), "VITE_");
      this.emitFile({
        type: "asset",
        fileName: "manifest.json",
        source: `${JSON.stringify(extensionManifest(env, packageVersion), null, 2)}\n`,
      });
    },
  };
}

export const extensionOutDir = "dist/extension";

export default defineConfig(({ mode }) => ({
  base: "/",
  publicDir: false,
  plugins: [manifestPlugin(mode)],
  build: {
    outDir: extensionOutDir,
    emptyOutDir: true,
    target: "chrome116",
    // Chrome preloads modules natively; the polyfill would be one more script.
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        popup: "popup/popup.html",
        offscreen: "offscreen/offscreen.html",
        background: "background/service-worker.ts",
      },
      output: {
        entryFileNames: (chunk) => (chunk.name === "background" ? "background.js" : "assets/[name]-[hash].js"),
      },
    },
  },
}));
