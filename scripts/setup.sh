#!/usr/bin/env bash
# Brings a fresh Debian machine to a working state from the package registries
# only (crates.io, npm, Debian). Idempotent: each step checks before it works.
#   scripts/setup.sh          tools to build and run Roster
#   scripts/setup.sh --test   also Chromium, a Postgres server, and nginx and
#                             openssl (the end-to-end TLS reverse proxy) for the tests
set -euo pipefail
cd "$(dirname "$0")/.."

want_test_tools=false
[ "${1:-}" = "--test" ] && want_test_tools=true

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

export PATH="$HOME/.cargo/bin:$PATH"
# cargo install builds tools in release mode; without LTO the final links are
# minutes shorter, and these tools are not performance sensitive.
tool_build_env=(env CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16)

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "Adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null || true)" != "cargo-leptos 0.3.7" ]; then
  say "Installing cargo-leptos 0.3.7 (about 15 minutes the first time)"
  # Newer releases need a newer rustc; no_downloads makes a missing tool fail
  # at once instead of trying GitHub, which this machine cannot reach.
  "${tool_build_env[@]}" cargo install cargo-leptos --version 0.3.7 --locked --features no_downloads
fi

# The CLI must equal the wasm-bindgen crate in Cargo.lock, to the patch.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $bindgen_version" ]; then
  say "Installing wasm-bindgen-cli $bindgen_version"
  # Not --locked: its own lock names a webpki-roots release crates.io no longer serves.
  "${tool_build_env[@]}" cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

# npm packages: the Playwright runner, binaryen (wasm-opt for release builds)
# and the SMTP server the tests deliver to.
if [ ! -x end2end/node_modules/.bin/wasm-opt ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "Installing npm packages of end2end/"
  (cd end2end && npm ci --no-audit --no-fund)
fi

if $want_test_tools; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
  # /usr/sbin is not on every user's PATH: look for nginx there too.
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v openssl >/dev/null || missing+=(openssl)
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing ${missing[*]} from Debian"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
fi
say "Setup done"
