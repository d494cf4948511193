#!/usr/bin/env bash
# SPEC §8: the WASM and JS a browser downloads (the site of the last release
# build) must stay within 300 KB gzip-compressed, as the server sends them.
# Prints raw, gzip and brotli sizes; fails over the budget.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=300000
pkg=target/site/pkg
shopt -s nullglob
files=("$pkg"/*.wasm "$pkg"/*.js)
if [ ${#files[@]} -eq 0 ]; then
  echo "client size: no WASM or JS in $pkg; run scripts/build.sh first" >&2
  exit 1
fi
size() { if [ -f "$1" ]; then stat -c %s "$1"; else echo 0; fi; }
total_raw=0 total_gz=0 total_br=0
printf '%-44s %10s %10s %10s\n' file raw gzip brotli
for file in "${files[@]}"; do
  raw=$(size "$file") gz=$(size "$file.gz") br=$(size "$file.br")
  [ "$gz" -gt 0 ] || { echo "client size: $file.gz is missing (build with --precompress)" >&2; exit 1; }
  printf '%-44s %10d %10d %10d\n' "${file#"$pkg"/}" "$raw" "$gz" "$br"
  total_raw=$((total_raw + raw)) total_gz=$((total_gz + gz)) total_br=$((total_br + br))
done
printf '%-44s %10d %10d %10d\n' "WASM + JS" "$total_raw" "$total_gz" "$total_br"
if [ "$total_gz" -gt "$budget" ]; then
  echo "client size: WASM + JS is $total_gz bytes gzip, over the budget of $budget (SPEC §8)" >&2
  exit 1
fi
echo "client size: within the budget of $budget bytes gzip (SPEC §8)"
