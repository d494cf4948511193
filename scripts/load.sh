#!/usr/bin/env bash
# HTTP load on the Users page (SPEC §8): fills a scratch database with
# `roster demo --users N`, starts the release server on it, signs in as the
# demo manager and runs wrk against /healthz, the Users page and a search.
#
#   scripts/load.sh                       # SQLite in a temporary folder
#   scripts/load.sh postgres://roster:roster@127.0.0.1:5432/postgres
#                                         # a scratch database made (and
#                                         # dropped) on that Postgres server
#
# Settings: USERS (100000), PORT (3900), THREADS (2), CONNECTIONS (16),
# DURATION (10s), SEARCH (grace: one of 126 first names, so a search with
# hundreds of matches). Builds nothing: build the release first with
# `scripts/build.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS="${USERS:-100000}"
PORT="${PORT:-3900}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-16}"
DURATION="${DURATION:-10s}"
SEARCH="${SEARCH:-grace}"
BIN=target/release/roster
BASE="http://127.0.0.1:$PORT"

if [[ ! -x $BIN || ! -d target/site/pkg ]]; then
    echo "No release build: run  scripts/build.sh" >&2
    exit 1
fi
if ! command -v wrk >/dev/null; then
    sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get install -y wrk
fi
if (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "Port $PORT is in use: set PORT" >&2
    exit 1
fi

scratch="$(mktemp -d /tmp/roster-load.XXXXXX)"
server=""
pg_admin_url="${1:-}"
pg_db=""
cleanup() {
    [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    [[ -n $pg_db ]] && psql -q "$pg_admin_url" -c "DROP DATABASE IF EXISTS $pg_db" >/dev/null
    rm -rf "$scratch"
}
trap cleanup EXIT

if [[ -n $pg_admin_url ]]; then
    pg_db="roster_load_$$"
    psql -q "$pg_admin_url" -c "CREATE DATABASE $pg_db" >/dev/null
    # The same server and credentials, the scratch database.
    export DATABASE_URL="${pg_admin_url%/*}/$pg_db"
else
    export DATABASE_URL="sqlite://$scratch/roster.db?mode=rwc"
fi
# A throwaway configuration: no .env, emails to files, no rate limit in the way.
cd "$scratch"
ln -s "$OLDPWD/target" target
export LEPTOS_SITE_ROOT=target/site LEPTOS_OUTPUT_NAME=roster
export LEPTOS_SITE_ADDR="127.0.0.1:$PORT" ROSTER_PUBLIC_URL="$BASE"
export ROSTER_MAIL_DIR="$scratch/mail" RUST_LOG="${RUST_LOG:-warn}"

echo "== demo data: $USERS users on ${DATABASE_URL%%:*}"
start=$(date +%s.%N)
demo_out="$("$BIN" demo --users "$USERS")"
printf 'filled in %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
# "Sign in as demo@example.com with the password XXXX; ..."
password="$(sed -n 's/.*with the password \([^ ;]*\);.*/\1/p' <<<"$demo_out" | head -1)"
[[ -n $password ]] || { echo "no password in: $demo_out" >&2; exit 1; }
if [[ -n $pg_db ]]; then
    # Autovacuum would gather the new tables' statistics within a minute or
    # so; until then Postgres plans the page's joins as whole-table scans
    # (29 requests/s instead of 300). Measure the steady state.
    psql -q "$DATABASE_URL" -c "ANALYZE" 2>/dev/null
fi

"$BIN" >"$scratch/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    curl -sf "$BASE/healthz" >/dev/null && break
    sleep 0.1
done

cookie="$(curl -s -o /dev/null -D - "$BASE/api/sign_in" \
    --data-urlencode "email=demo@example.com" --data-urlencode "password=$password" |
    sed -n 's/^[Ss]et-[Cc]ookie: \(roster_session=[^;]*\).*/\1/p')"
[[ -n $cookie ]] || { echo "sign-in failed" >&2; exit 1; }
users_page="$BASE/manage/settings/users"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$users_page")
[[ $status == 200 ]] || { echo "Users page answered $status" >&2; exit 1; }

run() {
    local label="$1" url="$2"
    local out
    out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: $cookie" "$url")"
    # wrk prints latencies as 1.23ms / 456.78us / 1.02s.
    awk -v label="$label" '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        / 50%/ { p50 = ms($2) } / 99%/ { p99 = ms($2) } /Requests\/sec/ { rps = $2 }
        /Non-2xx/ { bad = $NF }
        END { printf "%-28s %9.0f req/s   p50 %7.2f ms   p99 %7.2f ms%s\n", label, rps, p50, p99, bad ? "   NON-2xx: " bad : "" }
    ' <<<"$out"
}
echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION, ${DATABASE_URL%%:*}, $USERS demo users"
run "/healthz" "$BASE/healthz"
run "Users page" "$users_page"
run "Users page ?q=$SEARCH" "$users_page?q=$SEARCH"
