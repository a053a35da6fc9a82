#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# same-cores.sh BASE_REV [BUILD] - a refactoring's evidence: the cores of this tree's xdump and
# of BASE_REV's are byte for byte the same on every world the end-to-end tests build.
#
# BASE_REV is built in a temporary worktree (plain make); this tree's build is BUILD (default
# build, made with plain make). Both run in the same worlds under this tree's xensim: every
# world of tests/e2e/t*.sh written as a quoted here-document (`world NAME <<'W'`), each domain
# of it, dumped to a file and to a pipe. Each pair must agree in exit status and in every byte,
# apart from the dump description note's start time (8 bytes) and, when the two releases
# differ, its version string. Prints one line per world and a summary; exit 0 when all agree.
set -euo pipefail
die() { echo "same-cores: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: tests/same-cores.sh BASE_REV [BUILD]"
TOP=$(cd "$(dirname "$0")/.." && pwd)
BASE=$1
BUILD=${2:-$TOP/build}
# A dump that takes longer (t0120's domain near the top of a 1 TiB gfn span, which no test
# dumps) is stopped by timeout (SIGTERM, SIGKILL 5 s later): said on its line, not compared.
LIMIT=${SAME_CORES_LIMIT:-60}
T=$(mktemp -d "${TMPDIR:-/tmp}/xdump-same.XXXXXX")
trap 'git -C "$TOP" worktree remove --force "$T/base" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT

git -C "$TOP" worktree add -q --detach "$T/base" "$BASE" || die "no revision $BASE"
make -s -C "$T/base" -j"$(nproc)" O=build build/xdump >"$T/base.log" 2>&1 ||
    die "building $BASE failed: $(tail -3 "$T/base.log")"
make -s -C "$TOP" -j"$(nproc)" O="$BUILD" "$BUILD/xdump" "$BUILD/xensim" "$BUILD/xensim.so" \
    >"$T/new.log" 2>&1 || die "building this tree failed: $(tail -3 "$T/new.log")"
OLD=$T/base/build/xdump NEW=$BUILD/xdump XSIM=$BUILD/xensim
export XDUMP_LOCK_DIR=$T

# The worlds: each quoted here-document after `world NAME <<'W'` in the end-to-end tests.
mkdir -p "$T/worlds"
for t in "$TOP"/tests/e2e/t*.sh; do
    awk -v out="$T/worlds/$(basename "$t" .sh)" '
        inw && $0 == "W" { inw = 0; close(f); next }
        inw { print > f; next }
        /world [A-Za-z0-9_]+ <<'"'"'W'"'"'/ {
            n++; f = out "." n ".world"; inw = 1
        }' "$t"
done

# differ A B: exit 0 when the two cores are the same but for the start time and the version.
differ() {
    python3 - "$1" "$2" <<'EOF'
import sys
a, b = (open(p, "rb").read() for p in sys.argv[1:3])
if len(a) != len(b):
    print(f"sizes {len(a)} and {len(b)}"); sys.exit(1)
# The dump description note's text starts "xdump <version>"; its start time is the 8 bytes
# 16 before it (docs/FORMAT.md, "Dump description").
allowed = set()
for core in (a, b):
    at = core.rfind(b"\0xdump ") + 1
    while at > 0:
        allowed.update(range(at - 16, at - 8))
        end = core.find(b" ", at + 6)
        allowed.update(range(at + 6, end if end > 0 else at + 6))
        at = core.rfind(b"\0xdump ", 0, at - 1) + 1
bad = []
if a != b:
    for c in range(0, len(a), 4096):
        if a[c:c + 4096] != b[c:c + 4096]:
            bad += [i for i in range(c, min(c + 4096, len(a))) if a[i] != b[i] and i not in allowed]
if bad:
    print(f"{len(bad)} bytes differ, first at {bad[0]:#x}"); sys.exit(1)
EOF
}

worlds=0 dumps=0 same=0 bytes=0 fails=0 timed=0
for w in "$T"/worlds/*.world; do
    name=$(basename "$w" .world)
    "$XSIM" create "$w" "$T/$name" >/dev/null 2>&1 || { echo "skip $name: not a world this xensim makes"; continue; }
    worlds=$((worlds + 1))
    line="$name:"
    for dom in $(awk '$1 == "domain" {print $2}' "$w"); do
        for how in file pipe; do
            for bin in old new; do
                out=$T/$name.$dom.$how.$bin.core
                b=$OLD; [ $bin = new ] && b=$NEW
                # A fresh copy of the world each time: a run may change it (a domain that dies
                # during the dump stays dead).
                rm -rf "$T/$name"
                "$XSIM" create "$w" "$T/$name" >/dev/null 2>&1 || die "xensim create $name"
                set +e
                if [ $how = file ]; then
                    timeout -k 5 "$LIMIT" "$XSIM" run "$T/$name" -- "$b" -q "$dom" "$out" 2>"$out.err"
                else
                    timeout -k 5 "$LIMIT" "$XSIM" run "$T/$name" -- "$b" -q "$dom" - >"$out" 2>"$out.err"
                fi
                rc=$?
                [ $rc = 137 ] && rc=124 # a binary that ignored timeout's SIGTERM, killed 5 s on
                echo $rc >"$out.rc"
                set -e
            done
            o=$T/$name.$dom.$how.old.core n=$T/$name.$dom.$how.new.core
            dumps=$((dumps + 1))
            if [ "$(cat "$o.rc")/$(cat "$n.rc")" = 124/124 ]; then
                timed=$((timed + 1))
                line="$line dom$dom/$how both stopped at ${LIMIT} s, not compared;"
            elif ! cmp -s "$o.rc" "$n.rc"; then
                line="$line dom$dom/$how exit $(cat "$o.rc") vs $(cat "$n.rc");"
                fails=$((fails + 1))
            elif [ ! -e "$o" ] && [ ! -e "$n" ]; then
                same=$((same + 1))
                line="$line dom$dom/$how same (rc $(cat "$n.rc"), no core);"
            elif [ ! -e "$o" ] || [ ! -e "$n" ]; then
                line="$line dom$dom/$how a core from one only;"
                fails=$((fails + 1))
            elif why=$(differ "$o" "$n"); then
                same=$((same + 1)) bytes=$((bytes + $(stat -c %s "$n")))
                line="$line dom$dom/$how same (rc $(cat "$n.rc"));"
            else
                line="$line dom$dom/$how DIFFERENT: $why;"
                fails=$((fails + 1))
            fi
            rm -f "$o" "$n"
        done
    done
    echo "$line"
done
echo "same-cores: $BASE vs this tree: $worlds worlds, $dumps dumps, $same the same ($((bytes / 1048576)) MiB compared), $fails different, $timed stopped at ${LIMIT} s"
[ $fails -eq 0 ] && [ $dumps -gt 0 ]
