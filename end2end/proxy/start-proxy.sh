#!/usr/bin/env bash
# Starts, for the end-to-end tests, Roster behind a real TLS reverse proxy:
# nginx on https://localhost:$ROSTER_E2E_PROXY_PORT (default 3443) with a
# self-signed certificate made here, in front of a release Roster server (and
# its SMTP sink) started by ../start-server.sh on $ROSTER_E2E_UPSTREAM_PORT
# (default 3300). Everything lives under end2end/.run/proxy/ (nginx) and
# end2end/.run/<upstream port>/ (Roster); nothing needs root.
#
# nginx rewrites Host to the upstream address (as some proxies do), so Roster
# must build links and check Origin from ROSTER_PUBLIC_URL, not from Host; and
# it overwrites X-Forwarded-For with the address it saw, so a client cannot
# spoof its address to the rate limiter.
set -euo pipefail
cd "$(dirname "$0")/.."
tls_port="${ROSTER_E2E_PROXY_PORT:-3443}"
upstream_port="${ROSTER_E2E_UPSTREAM_PORT:-3300}"
run_dir="$PWD/.run/proxy"
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

rm -rf "$run_dir" && mkdir -p "$run_dir/tmp"

# A throw-away certificate for localhost and 127.0.0.1, valid two days.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -sha256 \
  -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$run_dir/key.pem" -out "$run_dir/cert.pem" 2>/dev/null

# As root, nginx would run its workers as "nobody", who cannot write here.
user_line=""
[ "$(id -u)" = 0 ] && user_line="user $(id -un) $(id -gn);"

cat >"$run_dir/nginx.conf" <<EOF
# Written by end2end/proxy/start-proxy.sh for one test run.
$user_line
daemon off;
master_process on;
worker_processes 1;
pid $run_dir/nginx.pid;
error_log $run_dir/error.log info;

events {
    worker_connections 256;
}

http {
    access_log $run_dir/access.log;
    client_body_temp_path $run_dir/tmp/client_body;
    proxy_temp_path $run_dir/tmp/proxy;
    fastcgi_temp_path $run_dir/tmp/fastcgi;
    uwsgi_temp_path $run_dir/tmp/uwsgi;
    scgi_temp_path $run_dir/tmp/scgi;
    server_tokens off;

    server {
        listen 127.0.0.1:$tls_port ssl;
        server_name localhost;

        ssl_certificate $run_dir/cert.pem;
        ssl_certificate_key $run_dir/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;

        client_max_body_size 2m;

        location / {
            proxy_pass http://127.0.0.1:$upstream_port;
            proxy_http_version 1.1;
            # Deliberately not \$host: Roster must not depend on Host.
            proxy_set_header Host 127.0.0.1:$upstream_port;
            # Overwrite, never append: whatever the client sent is dropped.
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header Forwarded "";
            proxy_set_header X-Real-IP "";
            proxy_connect_timeout 5s;
            proxy_send_timeout 60s;
            proxy_read_timeout 60s;
        }
    }
}
EOF

roster="" proxy=""
trap 'kill $roster $proxy 2>/dev/null || true' EXIT INT TERM

ROSTER_E2E_PORT="$upstream_port" \
  ROSTER_PUBLIC_URL="https://localhost:$tls_port" \
  ROSTER_TRUSTED_PROXIES=127.0.0.1 \
  ROSTER_RATE_LIMIT=30 \
  ./start-server.sh &
roster=$!

"$nginx_bin" -p "$run_dir" -e "$run_dir/error.log" -c "$run_dir/nginx.conf" &
proxy=$!

# Whichever stops first ends the run (and the trap stops the other).
wait -n "$roster" "$proxy"
