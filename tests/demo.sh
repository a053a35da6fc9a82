#!/usr/bin/env bash
# make demo: xdump as a user runs it, on the bundled simulated guest (fixtures/worlds/demo.world)
# under xensim - with a stand-in xenstored, so the guest is dumped by its name - then
# `xdump info` on the result.
set -euo pipefail
B=${1:-build}
out=$B/demo
mkdir -p "$out"
rm -f "$out/xenstore.sock"
echo "== a simulated Xen with one crashed PV guest (fixtures/worlds/demo.world)"
"$B/xensim" create fixtures/worlds/demo.world "$out/world"
"$B/xensim-xenstored" "$out/world" "$out/xenstore.sock" > /dev/null 2> "$out/xenstored.log" &
xs=$!
trap 'kill $xs 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$out/xenstore.sock" ] && break; sleep 0.02; done
export XENSTORED_PATH=$out/xenstore.sock
echo "== xdump demo-pv $out/demo.core"
"$B/xensim" run "$out/world" -- "$B/xdump" --force demo-pv "$out/demo.core"
echo
echo "== xdump info $out/demo.core"
"$B/xdump" info "$out/demo.core"
echo
echo "== the domain is as it was found (pause count, state):"
"$B/xensim" stat "$out/world" 7 | grep -E 'pause_count|life|mmapbatch_calls'
