#!/usr/bin/env bash
# Installs everything and starts the portal with data: a real OCI registry
# holding demo images, two Kubernetes API stand-ins running workloads of them,
# and the real backend serving the built app on http://127.0.0.1:7007
# (PORTAL_PORT to change it), guest sign-in. Runs until Ctrl-C.
# `yarn start` runs the portal on your own clusters and registries instead
# (see the README).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
stage "install dependencies" yarn install --immutable
echo "=== starting the portal with demo data on http://127.0.0.1:${PORTAL_PORT:-7007}"
exec node "$ROOT/.yarn/releases/yarn-4.13.0.cjs" demo --port "${PORTAL_PORT:-7007}"
