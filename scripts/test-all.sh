#!/usr/bin/env bash
# Installs everything the tests need and runs the whole suite: type check, lint,
# unit and integration tests (real registry, SQLite and PostgreSQL), the app
# build, and the end-to-end tests (real backend, Chromium). Each stage prints
# its duration; the first failing stage stops the run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
started=$(date +%s)
echo "node $(node --version), npm $(npm --version), $(nproc) cores"

# Debian packages: the real servers the tests run (see test/README.md).
DEBIAN_PACKAGES="docker-registry skopeo prometheus apache2-utils chromium postgresql faketime buildah"
needed_binaries="docker-registry skopeo prometheus htpasswd chromium faketime buildah"
missing=""
for binary in $needed_binaries; do
  command -v "$binary" >/dev/null 2>&1 || missing="$missing $binary"
done
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing initdb"
install_debian_packages() {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $DEBIAN_PACKAGES >/dev/null
}
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    stage "install Debian packages ($DEBIAN_PACKAGES)" install_debian_packages
  else
    echo "Missing:$missing. Install the Debian packages as root first:" >&2
    echo "  apt-get install --no-install-recommends $DEBIAN_PACKAGES" >&2
    exit 1
  fi
fi

stage "install dependencies" yarn install --immutable

# A throwaway PostgreSQL for the store tests, stopped on exit.
PG_DIR="$(mktemp -d /tmp/image-freshness-pg.XXXXXX)"
cleanup() {
  "$ROOT/scripts/postgres.sh" stop "$PG_DIR"
  rm -rf "$PG_DIR"
}
trap cleanup EXIT
start_postgres() {
  BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="$("$ROOT/scripts/postgres.sh" start "$PG_DIR")"
  export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING
}
stage "start PostgreSQL" start_postgres
export CI=true BACKSTAGE_TEST_DISABLE_DOCKER=1 IMAGE_FRESHNESS_REQUIRE_POSTGRES=1

stage "type check" yarn tsc
stage "lint" yarn backstage-cli repo lint
stage "prettier" yarn prettier --check --loglevel warn .
stage "unit and integration tests" yarn backstage-cli repo test

# The same tests with the clock 400 days ahead (libfaketime: Node and openssl
# see it, the Go servers keep the real one, see test/harness/serverClock.ts):
# a test or a component that reads the real date instead of the clock it pins
# fails here. Monotonic time is left alone, so timers keep their pace. The
# fuzz tests (`*.fuzz.test.ts`) are left out of this stage: they feed
# generated bad input to parsers and routes, read no date, and are a fifth of
# the stage's time.
SHIFT_DAYS=400
shifted_clock_tests() {
  local real shifted
  real=$(date +%s)
  shifted=$(FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "+${SHIFT_DAYS}d" node -e 'console.log(Math.floor(Date.now() / 1000))')
  if [ $(( shifted - real )) -lt $(( (SHIFT_DAYS - 1) * 86400 )) ]; then
    echo "faketime did not move Node's clock (real $real, shifted $shifted)" >&2
    return 1
  fi
  echo "Node's clock reads $(FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "+${SHIFT_DAYS}d" node -e 'console.log(new Date().toISOString())')"
  FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "+${SHIFT_DAYS}d" \
    node "$ROOT/.yarn/releases/yarn-4.13.0.cjs" backstage-cli repo test \
    --testPathIgnorePatterns '\.fuzz\.test\.ts$'
}
stage "unit and integration tests, clock ${SHIFT_DAYS} days ahead" shifted_clock_tests
stage "test harness tests" yarn workspace @internal/test test:harness
stage "build the app" yarn workspace app build
stage "end-to-end tests" yarn workspace @internal/test test:e2e

echo "=== all stages passed in $(( $(date +%s) - started )) s"
