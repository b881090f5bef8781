# Sourced by the project's scripts: the environment Yarn and native builds need on a machine that has
# nothing but Node.js, npm and npm's configured package registry.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# Yarn does not read npm's configuration: take the registry npm is configured with.
if [ -z "${YARN_NPM_REGISTRY_SERVER:-}" ]; then
  YARN_NPM_REGISTRY_SERVER="$(npm config get registry 2>/dev/null | sed 's#/$##')"
  export YARN_NPM_REGISTRY_SERVER
fi
# Native modules (better-sqlite3, cpu-features) compile against the local Node headers.
if [ -z "${npm_config_nodedir:-}" ]; then
  npm_config_nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  export npm_config_nodedir
fi
export YARN_ENABLE_TELEMETRY=0
yarn() { node "$ROOT/.yarn/releases/yarn-4.13.0.cjs" "$@"; }

# Prints how long a stage took.
stage() {
  local name="$1"; shift
  local start end
  start=$(date +%s)
  echo "=== $name"
  "$@"
  end=$(date +%s)
  echo "=== $name: $((end - start)) s"
}
