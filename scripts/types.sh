#!/usr/bin/env bash
# Binding types from wrangler.toml (+ the secret names of .dev.vars.example).
#   scripts/types.sh          regenerate edge/worker-configuration.d.ts
#   scripts/types.sh --check  fail when the committed file has drifted from wrangler.toml
# (`wrangler types --check` misreads --env-file, and a developer's own .dev.vars must not matter,
# so the check generates a second copy beside the first and compares them.)
set -euo pipefail
cd "$(dirname "$0")/.."
out=edge/worker-configuration.d.ts
[ "${1:-}" = "--check" ] && out=edge/.types-check.d.ts
npx wrangler types "$out" --include-runtime=false --strict-vars=false --env-file .dev.vars.example >/dev/null
if [ "$out" != edge/worker-configuration.d.ts ]; then
  trap 'rm -f "$out"' EXIT
  if ! diff <(sed 1,2d edge/worker-configuration.d.ts) <(sed 1,2d "$out"); then
    echo "edge/worker-configuration.d.ts is out of date: run npm run types" >&2
    exit 1
  fi
  echo "binding types up to date"
fi
