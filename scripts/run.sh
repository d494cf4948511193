#!/usr/bin/env bash
# Sets everything up, builds the release and starts Roster on SQLite at
# http://127.0.0.1:3000. With no ROSTER_SMTP_URL, emails are written to mail/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
export LEPTOS_SITE_ROOT=target/site LEPTOS_OUTPUT_NAME=roster
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
echo "Roster: http://$LEPTOS_SITE_ADDR"
exec target/release/roster
