#!/usr/bin/env bash
# Writes the fuzzers' seed corpus, tests/fuzz/corpus/TARGET/ (committed: run this again after
# changing an input encoding or the core format):
#   p2m, pagewalk   hand-made guests (seedgen.c): Linux's layouts, and guests that lie
#   info            small real cores of 64-128 KiB simulated guests (a PV guest's p2m and page
#                   tables need 128 KiB in xensim), by xdump and by Xen's own
#                   dumper (xc_domain_dumpcore), each < 300 KB, and a cut-short one
# Usage: tests/fuzz/make-seeds.sh [BUILD]   (default build; the binaries are made there)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
corpus=$root/tests/fuzz/corpus
T=$(mktemp -d "${TMPDIR:-/tmp}/xdump-seeds.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$root"

make -s --no-print-directory O="$BUILD" "$BUILD/xdump" xensim "$BUILD/tests/xc-dumpcore"
rm -rf "$corpus"
mkdir -p "$corpus/p2m" "$corpus/pagewalk" "$corpus/info"

cc -std=c11 -Wall -Wextra -Werror -Itests/fuzz -o "$T/seedgen" tests/fuzz/seedgen.c
"$T/seedgen" "$corpus"

cat > "$T/w.world" <<'W'
domain 1
  name pv128k
  type pv
  memory 128K
  vcpus 3
  vcpu 1 down
  vcpu 2 offline
  fault fail 0x3 2 EFAULT
domain 2
  name hvm64k
  type hvm
  memory 64K
  vcpus 2
domain 3
  name pvtree128k
  type pv
  memory 128K
  p2m tree
  state crashed
W
"$BUILD/xensim" create "$T/w.world" "$T/w"
sim() { "$BUILD/xensim" run "$T/w" -- "$@"; }
sim "$BUILD/xdump" -q 1 "$corpus/info/xdump-pv"
sim "$BUILD/xdump" -q 2 "$corpus/info/xdump-hvm"
sim "$BUILD/xdump" -q --no-virtual 3 "$corpus/info/xdump-pv-crashed"
sim "$BUILD/tests/xc-dumpcore" 1 "$corpus/info/xen-pv"
sim "$BUILD/tests/xc-dumpcore" 2 "$corpus/info/xen-hvm"
head -c 5000 "$corpus/info/xdump-pv" > "$corpus/info/xdump-pv-cut"
sim "$BUILD/xdump" -q --format kdump --compress zstd 1 "$corpus/info/kdump-pv"
sim "$BUILD/xdump" -q --format kdump --compress zlib -d 0 2 "$corpus/info/kdump-hvm"
head -c 9000 "$corpus/info/kdump-pv" > "$corpus/info/kdump-pv-cut"
# Zero pages are holes in a core: the seeds are plain files all the same.
for f in "$corpus"/info/*; do
  cp "$f" "$T/plain" && cat "$T/plain" > "$f" && chmod 644 "$f"
  size=$(stat -c %s "$f")
  [ "$size" -lt 300000 ] || { echo "make-seeds: $f is $size bytes (>= 300 KB)" >&2; exit 1; }
done
ls -l "$corpus"/*
