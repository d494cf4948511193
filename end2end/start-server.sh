#!/usr/bin/env bash
# Starts, for the end-to-end tests, a real SMTP server (fixtures/smtp-sink.mjs)
# and the release Roster server on a throw-away database, both under
# end2end/.run/<port>/: SQLite, or with ROSTER_E2E_DATABASE=postgres a fresh
# database on the Postgres server of ROSTER_TEST_PG_URL (scripts/test.sh
# starts it). A short resend cooldown keeps the tests fast; the rule and its
# message are the same.
set -euo pipefail
cd "$(dirname "$0")"
port="${ROSTER_E2E_PORT:-3100}"
smtp_port=$((port + 1000))
run_dir="$PWD/.run/$port"
rm -rf "$run_dir" && mkdir -p "$run_dir/inbox"
node fixtures/smtp-sink.mjs --port "$smtp_port" --dir "$run_dir/inbox" &
sink=$!
trap 'kill $sink $server 2>/dev/null || true' EXIT INT TERM
cd ..
export LEPTOS_SITE_ROOT=target/site LEPTOS_OUTPUT_NAME=roster
export LEPTOS_SITE_ADDR="127.0.0.1:$port"
if [ "${ROSTER_E2E_DATABASE:-sqlite}" = postgres ]; then
  : "${ROSTER_TEST_PG_URL:?ROSTER_E2E_DATABASE=postgres needs ROSTER_TEST_PG_URL (scripts/test.sh sets it)}"
  # roster_test_*: scripts/test.sh drops leftovers of earlier runs.
  db="roster_test_e2e_$port"
  psql "$ROSTER_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  export DATABASE_URL="${ROSTER_TEST_PG_URL%/*}/$db"
else
  export DATABASE_URL="sqlite://$run_dir/roster.db?mode=rwc"
fi
export ROSTER_SMTP_URL="smtp://127.0.0.1:$smtp_port"
# With SMTP the sender must be at a real domain (Roster refuses noreply@127.0.0.1).
export ROSTER_MAIL_FROM="${ROSTER_MAIL_FROM:-roster@roster.test}"
export ROSTER_RESEND_COOLDOWN="${ROSTER_RESEND_COOLDOWN:-4s}"
target/release/roster &
server=$!
wait $server
