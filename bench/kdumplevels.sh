#!/usr/bin/env bash
# Dump levels on a real Linux guest (issue 19): bench/kdumplevels.sh BUILD [CAPTURE]
#
# The guest of tests/e2e/t0330 (fixtures/linux/capture.sh, cached in CAPTURE, default
# build/linux-guest; captured first if missing, under /tmp/xdump-qemu.lock) as an xensim world
# on tmpfs; files on tmpfs too. Interleaved rounds (BENCH_REPS, default 7) of: xdump's ELF core
# (--no-virtual, what makedumpfile reads), makedumpfile 1.7.2 -d 31 -c and -l on it, and
# `xdump --format kdump -d 31` with each codec. Prints a markdown table: file sizes, and the
# minimum and median seconds (on a shared machine other work only adds to a run's time: the
# minimum is the least disturbed run, bench/run.sh's rule).
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
C=${2:-$here/../build/linux-guest}
REPS=${BENCH_REPS:-7}
W=$(mktemp -d /dev/shm/xdump-kdl.XXXXXX)
trap 'rm -rf "$W"' EXIT
flock -w 900 /tmp/xdump-qemu.lock "$here/../fixtures/linux/capture.sh" "$C" > /dev/null
"$BUILD/tests/qemu2world" "$C/phys.core" "$C/registers.txt" "$W/in" > /dev/null
"$BUILD/xensim" create "$W/in/guest.world" "$W/w" > /dev/null
rm -f "$W"/in/*.mem # the world has its own copy
x() { "$BUILD/xensim" run "$W/w" -- "$BUILD/xdump" -q "$@"; }
declare -A T S
t() { # t NAME OUT CMD...: runs CMD, adds its seconds to T[NAME], its file's size to S[NAME]
    local name=$1 out=$2 s
    shift 2
    rm -f "$out"
    s=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || { echo "kdumplevels: $name failed" >&2; exit 1; }
    T[$name]+="$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }') "
    S[$name]=$(stat -c %s "$out")
}
codecs="zlib lzo zstd snappy none"
for ((r = 0; r < REPS; r++)); do
    t elf "$W/g.elf" x --no-virtual 1 "$W/g.elf"
    t mdf-zlib "$W/m.zlib" makedumpfile -c -d 31 "$W/g.elf" "$W/m.zlib"
    t mdf-lzo "$W/m.lzo" makedumpfile -l -d 31 "$W/g.elf" "$W/m.lzo"
    for c in $codecs; do t "kdump-$c" "$W/x.$c" x --format kdump -d 31 --compress $c 1 "$W/x.$c"; done
done
minmed() { # min median of the times of NAME
    tr ' ' '\n' <<< "${T[$1]}" | sed '/^$/d' | sort -g |
        awk '{ v[NR] = $1 } END { printf "%.2f %.2f", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
read -r emin emed <<< "$(minmed elf)"
echo "Linux guest $(cat "$C/release"), $(($(stat -c %s "$C/phys.core") >> 20)) MiB core; $REPS rounds; seconds min / median"
echo
echo "| what | file (bytes) | min s | median s |"
echo "|---|---|---|---|"
echo "| xdump --no-virtual (ELF) | ${S[elf]} | $emin | $emed |"
for c in zlib lzo; do
    read -r a b <<< "$(minmed mdf-$c)"
    echo "| ELF + makedumpfile -d 31 $([ $c = zlib ] && echo -c || echo -l) | ${S[mdf-$c]} | $emin + $a | $emed + $b |"
done
for c in $codecs; do
    read -r a b <<< "$(minmed kdump-$c)"
    echo "| xdump --format kdump -d 31 --compress $c | ${S[kdump-$c]} | $a | $b |"
done
