#!/usr/bin/env bash
# The release build: server at target/release/roster, site at target/site with
# hashed asset names (hash.txt beside the binary) and each asset precompressed
# for the server to send as it is (.br, and .gz at gzip's best level: the
# build's own gzip is ~17% bigger).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
cargo leptos build --release --precompress
for file in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css; do
  gzip -9 --no-name --keep --force --stdout "$file" >"$file.gz"
done
scripts/client_size.sh
