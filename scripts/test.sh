#!/usr/bin/env bash
# The whole test suite: binding types up to date, strict TypeScript, then every vitest project
# (edge tests inside workerd; transcoder and end-to-end tests against real Redis and ffmpeg;
# browser tests in Debian's headless Chromium; the transcoder's container with podman).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh redis ffmpeg chromium podman
# The site serves hls.js from node_modules (normally copied by postinstall).
node scripts/vendor.mjs
echo "== binding types (wrangler types --check)"
bash scripts/types.sh --check
echo "== typecheck"
npx tsc -p tsconfig.json
npx tsc -p tsconfig.node.json
echo "== tests"
npx vitest run "$@"
