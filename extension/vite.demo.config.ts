// The demo page: built to dist/demo, served by the ingress at /demo/. In `vite
// dev` the API is proxied to VITE_API_BASE_URL so the page's origin works too.
import { defineConfig, loadEnv } from "vite";
import { buildDefaults } from "./build/defaults.ts";

export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, process.cwd(), "VITE_");
  const api = env.VITE_API_BASE_URL || buildDefaults.VITE_API_BASE_URL;
  return {
    root: "demo",
    base: "/demo/",
    publicDir: false,
    build: { outDir: "../dist/demo", emptyOutDir: true, target: "es2022" },
    server: { proxy: { "/api": { target: api, ws: true, changeOrigin: true } } },
  };
});
