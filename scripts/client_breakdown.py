#!/usr/bin/env python3
"""What the browser's WASM is made of, grouped by crate (SPEC §8's budget).

    cargo install twiggy
    scripts/client_breakdown.py target/front/wasm32-unknown-unknown/wasm-release/roster.wasm [N]

Reads the WASM as rustc left it (before wasm-bindgen and wasm-opt, so with
function names): shares are indicative, the shipped file is ~half the size.
With N, also lists the N biggest items no group claimed."""
import csv, subprocess, sys, collections
path = sys.argv[1]
out = subprocess.run(["twiggy", "top", "-n", "1000000", "-f", "csv", path], capture_output=True, text=True, check=True).stdout
rules = [
    ("(excluded) names, custom sections, wasm-bindgen descriptors", ["function names", "custom section", "producers", "__wbindgen_describe", "export \"__wbindgen"]),
    ("tachys hydration (hydrate_async / AnyView)", ["hydrate_async", "any_view", "AnyView"]),
    ("our code: roster::ui", ["roster::ui", "roster[", "roster::app"]),
    ("our code: roster::api / domain", ["roster::api", "roster::domain", "roster::"]),
    ("leptos_router", ["leptos_router"]),
    ("leptos_meta", ["leptos_meta"]),
    ("chrono", ["chrono"]),
    ("serde / serde_json", ["serde_json", "serde", "serde_qs"]),
    ("url / idna / unicode", ["idna", "unicode", "url::", "form_urlencoded", "percent_encoding"]),
    ("regex", ["regex"]),
    ("server_fn", ["server_fn"]),
    ("reactive_graph", ["reactive_graph"]),
    ("tachys (other)", ["tachys"]),
    ("leptos (other)", ["leptos"]),
    ("futures / executor", ["futures", "any_spawner", "wasm_bindgen_futures"]),
    ("wasm-bindgen / web-sys / js-sys", ["wasm_bindgen", "web_sys", "js_sys"]),
    ("data segments", ["data segment", "data["]),
    ("std / core / alloc", ["core[", "core::", "alloc[", "alloc::", "std[", "std::", "dlmalloc", "compiler_builtins"]),
]
totals = collections.Counter()
for row in csv.DictReader(out.splitlines()):
    name, size = row["Name"], int(row["ShallowSize"])
    for label, keys in rules:
        if any(k in name for k in keys):
            totals[label] += size
            break
    else:
        totals["other"] += size
code = sum(v for k, v in totals.items() if not k.startswith("(excluded)"))
print(f"{'what':48} {'bytes':>10} {'share':>7}")
for label, size in totals.most_common():
    share = "" if label.startswith("(excluded)") else f"{100*size/code:6.1f}%"
    print(f"{label:48} {size:>10} {share:>7}")
print(f"{'total (without the excluded)':48} {code:>10}")
if len(sys.argv) > 2:
    other = collections.Counter()
    for row in csv.DictReader(out.splitlines()):
        name, size = row["Name"], int(row["ShallowSize"])
        if not any(any(k in name for k in keys) for _, keys in rules):
            import re
            other[re.sub(r'::h[0-9a-f]{16}$', '', re.sub(r'\[[0-9a-f]+\]', '', name))[:110]] += size
    for k, v in other.most_common(int(sys.argv[2])):
        print(v, k)
