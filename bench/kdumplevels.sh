#!/usr/bin/env bash
# Dump levels on a real Linux guest (issue 19): bench/kdumplevels.sh BUILD [CAPTURE]
#
# The guest of tests/e2e/t0330 (fixtures/linux/capture.sh, cached in CAPTURE, default
# build/linux-guest; captured first if missing, under /tmp/xdump-qemu.lock) as an xensim world
# on tmpfs; files on tmpfs too. Interleaved rounds (BENCH_REPS, default 7) of: xdump's ELF core
# (--no-virtual, what makedumpfile reads), makedumpfile 1.7.2 -d 31 -c and -l on it, and
# `xdump --format kdump -d 31` with each codec. Prints a markdown table: file sizes, and the
# minimum and median seconds (on a shared machine other work only adds to a run's time: the
# minimum is the least disturbed run, bench/run.sh's rule), and each kdump's ratio to the ELF
# dump of its round (min, median, max).
#
# KDL_WORLD=PATH: the guest.world qemu2world made of a capture, used as it is (no capture, no
# qemu2world). BENCH_OUT=DIR: the files there (on a disk: "time to disk", fsync included)
# instead of tmpfs. BENCH_BASE=BUILD: that build's kdump dumps too, in the same rounds ("base").
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
C=${2:-$here/../build/linux-guest}
REPS=${BENCH_REPS:-7}
W=$(mktemp -d /dev/shm/xdump-kdl.XXXXXX)
O=$W
trap 'rm -rf "$W" "$O"' EXIT
BASE=${BENCH_BASE:+$(cd "$BENCH_BASE" && pwd)}
if [ -n "${KDL_WORLD:-}" ]; then
    "$BUILD/xensim" create "$KDL_WORLD" "$W/w" > /dev/null
else
    flock -w 900 /tmp/xdump-qemu.lock "$here/../fixtures/linux/capture.sh" "$C" > /dev/null
    "$BUILD/tests/qemu2world" "$C/phys.core" "$C/registers.txt" "$W/in" > /dev/null
    "$BUILD/xensim" create "$W/in/guest.world" "$W/w" > /dev/null
    rm -f "$W"/in/*.mem # the world has its own copy
fi
O=${BENCH_OUT:-$W}
mkdir -p "$O"
O=$(mktemp -d "$(cd "$O" && pwd)/xdump-kdl.XXXXXX")
trap 'rm -rf "$W" "$O"' EXIT
x() { "$BUILD/xensim" run "$W/w" -- "$BUILD/xdump" -q "$@"; }
xb() { "$BASE/xensim" run "$W/w" -- "$BASE/xdump" -q "$@"; }
declare -A T S
loads=""
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
    loads+="$(cut -d ' ' -f 1 /proc/loadavg) "
    t elf "$O/g.elf" x --no-virtual 1 "$O/g.elf"
    t mdf-zlib "$O/m.zlib" makedumpfile -c -d 31 "$O/g.elf" "$O/m.zlib"
    t mdf-lzo "$O/m.lzo" makedumpfile -l -d 31 "$O/g.elf" "$O/m.lzo"
    rm -f "$O"/g.elf "$O"/m.* # each dump finds the output's disk as the others do
    for c in $codecs; do
        t "kdump-$c" "$O/x.$c" x --format kdump -d 31 --compress $c 1 "$O/x.$c"
        [ -z "$BASE" ] || t "base-$c" "$O/b.$c" xb --format kdump -d 31 --compress $c 1 "$O/b.$c"
        rm -f "$O/x.$c" "$O/b.$c"
    done
done
minmed() { # min median of the times of NAME
    tr ' ' '\n' <<< "${T[$1]}" | sed '/^$/d' | sort -g |
        awk '{ v[NR] = $1 } END { printf "%.2f %.2f", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
ratios() { # min median max of NAME's times over the ELF dump's of the same round
    paste -d ' ' <(tr ' ' '\n' <<< "${T[$1]}" | sed '/^$/d') <(tr ' ' '\n' <<< "${T[elf]}" | sed '/^$/d') |
        awk '{ print $1 / $2 }' | sort -g |
        awk '{ v[NR] = $1 } END { printf "%.2f %.2f %.2f", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR] }'
}
read -r emin emed <<< "$(minmed elf)"
if [ -n "${KDL_WORLD:-}" ]; then
    echo "the world $KDL_WORLD; $REPS rounds, files in $O; seconds min / median"
else
    echo "Linux guest $(cat "$C/release"), $(($(stat -c %s "$C/phys.core") >> 20)) MiB core; $REPS rounds; seconds min / median"
fi
echo "load average (1 min) at each round's start: $loads"
echo
echo "| what | file (bytes) | min s | median s | / ELF: min median max |"
echo "|---|---|---|---|---|"
echo "| xdump --no-virtual (ELF) | ${S[elf]} | $emin | $emed | |"
for c in zlib lzo; do
    read -r a b <<< "$(minmed mdf-$c)"
    echo "| ELF + makedumpfile -d 31 $([ $c = zlib ] && echo -c || echo -l) | ${S[mdf-$c]} | $emin + $a | $emed + $b | |"
done
for k in kdump ${BASE:+base}; do
    for c in $codecs; do
        read -r a b <<< "$(minmed $k-$c)"
        echo "| $([ $k = base ] && echo "base: ")xdump --format kdump -d 31 --compress $c | ${S[$k-$c]} | $a | $b | $(ratios $k-$c) |"
    done
done
