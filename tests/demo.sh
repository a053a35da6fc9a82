#!/usr/bin/env bash
# make demo: xdump as a user runs it, on the bundled simulated guest (fixtures/worlds/demo.world)
# under xensim, then `xdump info` on the result.
set -euo pipefail
B=${1:-build}
out=$B/demo
mkdir -p "$out"
echo "== a simulated Xen with one crashed PV guest (fixtures/worlds/demo.world)"
"$B/xensim" create fixtures/worlds/demo.world "$out/world"
echo "== xdump demo-pv's domain id 7 -> $out/demo.core"
"$B/xensim" run "$out/world" -- "$B/xdump" --force 7 "$out/demo.core"
echo
echo "== xdump info $out/demo.core"
"$B/xdump" info "$out/demo.core"
echo
echo "== the domain is as it was found (pause count, state):"
"$B/xensim" stat "$out/world" 7 | grep -E 'pause_count|life|mmapbatch_calls'
