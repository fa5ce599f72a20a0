// Where e2e screenshots go: test-artifacts/extension/ at the repository root (git-ignored).
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ARTIFACTS_DIR = fileURLToPath(new URL("../../test-artifacts/extension/", import.meta.url));

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return `${ARTIFACTS_DIR}${name}`;
}

/** The built extension; `just ext-build` (npm run build) makes it. */
export const EXTENSION_DIR = fileURLToPath(new URL("../dist/extension/", import.meta.url));
