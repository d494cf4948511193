#!/usr/bin/env bash
# Starts the release server for the end-to-end tests on a throw-away SQLite
# database and mail folder under end2end/.run/.
set -euo pipefail
cd "$(dirname "$0")"
run_dir="$PWD/.run"
rm -rf "$run_dir" && mkdir -p "$run_dir/mail"
cd ..
export LEPTOS_SITE_ROOT=target/site LEPTOS_OUTPUT_NAME=roster
export LEPTOS_SITE_ADDR="127.0.0.1:${ROSTER_E2E_PORT:-3100}"
export DATABASE_URL="sqlite://$run_dir/roster.db?mode=rwc"
export ROSTER_MAIL_DIR="$run_dir/mail"
exec target/release/roster
