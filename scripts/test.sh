#!/usr/bin/env bash
# Sets everything up and runs every test: unit and integration tests on SQLite
# and Postgres, then the end-to-end tests in Chromium against the release
# server, once on SQLite and once on Postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
source scripts/env.sh

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# A local Postgres for the integration tests; each test makes its own database.
if [ -z "${ROSTER_TEST_PG_URL:-}" ]; then
  pg_version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! pg_lsclusters -h | grep -q "^$pg_version main"; then
    as_root pg_createcluster "$pg_version" main
  fi
  if ! pg_lsclusters -h | awk -v v="$pg_version" '$1 == v && $2 == "main" { print $4 }' | grep -q online; then
    say "Starting Postgres $pg_version"
    as_root pg_ctlcluster "$pg_version" main start
  fi
  pg_port=$(pg_lsclusters -h | awk -v v="$pg_version" '$1 == v && $2 == "main" { print $3 }')
  as_root su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'roster'\" | grep -q 1 \
    || psql -qc \"CREATE ROLE roster LOGIN CREATEDB PASSWORD 'roster'\""
  export ROSTER_TEST_PG_URL="postgres://roster:roster@127.0.0.1:$pg_port/postgres"
  # Databases left by earlier runs.
  as_root su postgres -c "psql -qtAc \"SELECT datname FROM pg_database WHERE datname LIKE 'roster_test_%'\"" \
    | while read -r db; do as_root su postgres -c "dropdb --if-exists $db" >/dev/null 2>&1 || true; done
fi

say "Unit and integration tests (SQLite and Postgres)"
# Incremental caches only help while editing; in a test run they double the disk used.
export CARGO_INCREMENTAL=0
cargo test --features ssr

say "Release build, and the client's size against its budget (SPEC §8)"
scripts/build.sh

say "End-to-end tests in Chromium (SQLite)"
(cd end2end && npx playwright test)

say "End-to-end tests in Chromium (Postgres)"
(cd end2end && ROSTER_E2E_DATABASE=postgres npx playwright test)
say "All tests passed"
