#!/usr/bin/env bash
# Installs everything and starts the portal on its embedded defaults:
# frontend on http://localhost:3000, backend on http://localhost:7007,
# SQLite files under .data/sqlite, guest sign-in, the example entities.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
stage "install dependencies" yarn install --immutable
mkdir -p .data/sqlite
echo "=== starting the portal: open http://localhost:3000 (backend http://localhost:7007)"
exec node "$ROOT/.yarn/releases/yarn-4.13.0.cjs" start
