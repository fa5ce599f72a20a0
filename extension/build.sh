#!/usr/bin/env bash
# Builds the extension (dist/extension) and the demo page (dist/demo). Installs
# the locked npm packages first when node_modules is missing or the lock changed.
# --optional: without npm, say so in one line and succeed (used by `just setup`).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null 2>&1; then
  if [ "${1:-}" = "--optional" ]; then
    echo "livedub: npm not found: skipping the extension and demo page build (install Node.js 20+)"
    exit 0
  fi
  echo "livedub: building the extension needs Node.js 20+ and npm" >&2
  exit 1
fi

stamp=node_modules/.livedub-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing the extension's npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# Skip the build when no source changed since the last one (set-up runs this often).
sources=$(find . -path ./node_modules -prune -o -path ./dist -prune -o -path ./test-artifacts -prune \
  -o -type f -print | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
built=dist/.livedub-sources-sha256
if [ -d dist/extension ] && [ -d dist/demo ] && [ "$(cat "$built" 2>/dev/null)" = "$sources" ]; then
  exit 0
fi

npx tsc --noEmit
for config in vite.config.ts vite.content.config.ts vite.demo.config.ts; do
  npx vite build --config "$config" --logLevel warn
done
echo "$sources" > "$built"
echo "built extension/dist/extension (load unpacked in chrome://extensions) and extension/dist/demo"
