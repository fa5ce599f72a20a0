// The content script: one self-contained classic script (content scripts cannot
// be ES modules), added to the extension build's output.
import { defineConfig } from "vite";

export default defineConfig({
  publicDir: false,
  build: {
    outDir: "dist/extension",
    emptyOutDir: false,
    target: "chrome116",
    lib: {
      entry: "content/overlay-content.ts",
      formats: ["iife"],
      name: "livedubOverlay",
      fileName: () => "content.js",
    },
  },
});
