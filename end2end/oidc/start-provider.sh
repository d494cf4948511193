#!/usr/bin/env bash
# Starts, for the end-to-end tests, the local OpenID provider (oidc/provider.mjs)
# on 127.0.0.1:$ROSTER_E2E_OIDC_PORT (default 4600), issuer
# http://127.0.0.1:<port>, client "roster" with secret $ROSTER_E2E_OIDC_SECRET.
# It accepts the callback of every plain http e2e server (ports.ts: port,
# port + 50, port + 100, port + 150) and of the TLS proxy (fixtures/proxy.ts); more with
# ROSTER_E2E_OIDC_REDIRECTS="uri uri ...". Accounts: provider.mjs's match,
# other and unverified, and copy (sso.copy@example.com, verified) for spec 09.
# For Playwright's webServer, wait on
#   http://127.0.0.1:<port>/.well-known/openid-configuration
set -euo pipefail
cd "$(dirname "$0")/.."
oidc_port="${ROSTER_E2E_OIDC_PORT:-4600}"
app_port="${ROSTER_E2E_PORT:-3100}"
proxy_port="${ROSTER_E2E_PROXY_PORT:-3443}"
redirects=()
for p in "$app_port" $((app_port + 50)) $((app_port + 100)) $((app_port + 150)); do
  redirects+=(--redirect-uri "http://127.0.0.1:$p/sso/callback")
done
redirects+=(--redirect-uri "https://localhost:$proxy_port/sso/callback")
for uri in ${ROSTER_E2E_OIDC_REDIRECTS:-}; do redirects+=(--redirect-uri "$uri"); done
exec node oidc/provider.mjs --port "$oidc_port" \
  --client-id "${ROSTER_E2E_OIDC_CLIENT_ID:-roster}" \
  --client-secret "${ROSTER_E2E_OIDC_SECRET:-roster-e2e-oidc-secret}" \
  --account copy:sso.copy@example.com:true \
  "${redirects[@]}" "$@"
