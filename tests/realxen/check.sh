#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# check.sh XDUMP_BIN - the real-Xen part of the test suite: assemble the images (assemble.sh),
# boot Xen (4.17, or 4.20) under QEMU once and run every scenario in it (run.sh), then check the results
# on the host (checks/*.sh). Exits non-zero on any failure, and when QEMU, gdb or Debian's
# packages cannot be had (never a silent skip).
#
#   XDUMP_BIN                    the xdump to test (dynamically linked, built with plain `make`);
#                                "none" runs Xen's own dumper alone (its checks then fail)
#   XDUMP_REALXEN_RELEASE        12 (default): Debian 12, Xen 4.17; 13: Debian 13, Xen 4.20, crash
#                                and drgn of the Debian 13 build root (release.sh, buildroot.sh)
#   XDUMP_REALXEN_OUT            work directory (default: build/realxen, build/realxen13 for 13)
#   XDUMP_REALXEN_SCENARIOS      default "pvguest+watch+pv+pvh"; with "kdump" the pv/pvh
#                                scenarios also write and check a kdump file (issue 19)
#   XDUMP_REALXEN_CACHE          where the .debs are kept (default /var/cache/xdump-realxen)
#   XDUMP_REALXEN_TIMEOUT        bound of the QEMU run in seconds (default 900)
#   XDUMP_REALXEN_KEEP_CORES=1   keep the cores after a successful check (they are ~130 MiB each)
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
die() { echo "realxen: FAIL: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: tests/realxen/check.sh XDUMP_BIN"
XDUMP_BIN=$1
. "$HERE/release.sh"
NAME="Debian $REL, Xen $XENVER"
OUT=${XDUMP_REALXEN_OUT:-$TOP/build/realxen$([ "$REL" = 12 ] || echo "$REL")}
SCENARIOS=${XDUMP_REALXEN_SCENARIOS:-pvguest+watch+pv+pvh}
case "+$SCENARIOS+" in *+kdump+*) KDUMP=1 ;; *) KDUMP=0 ;; esac
T0=$(date +%s.%N)
since() { echo "$(date +%s.%N) $1" | awk '{printf "%.1f", $1 - $2}'; }

# ---- what this needs, said plainly -------------------------------------------------------------
missing=
for t in qemu-system-x86_64:qemu-system-x86 gdb:gdb crash:crash drgn:python3-drgn gcc:gcc readelf:binutils apt-get:apt \
    dpkg-deb:dpkg flock:util-linux timeout:coreutils makedumpfile:makedumpfile eu-readelf:elfutils; do
    command -v "${t%%:*}" >/dev/null 2>&1 || missing="$missing ${t#*:}"
done
[ -f /usr/include/gelf.h ] || missing="$missing libelf-dev"
[ -f /usr/include/xen/xen.h ] || missing="$missing libxen-dev"
/usr/bin/python3 -c 'import kdumpfile' 2>/dev/null || missing="$missing python3-libkdumpfile"
[ -z "$missing" ] || die "missing on this host (Debian packages):$missing"
[ -z "$LIBROOT" ] || command -v unshare >/dev/null 2>&1 || die "unshare not found (util-linux)"
if [ "$XDUMP_BIN" != none ]; then
    [ -x "$XDUMP_BIN" ] || die "xdump binary '$XDUMP_BIN' not found or not executable (build it with make)"
    XDUMP_BIN=$(cd "$(dirname "$XDUMP_BIN")" && pwd)/$(basename "$XDUMP_BIN")
fi
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT/summary.txt"

# ---- host tools, images, the run -------------------------------------------------------------
gcc -std=gnu11 -O2 -Wall -Wextra -o "$OUT/corecmp" "$TOP/tests/tools/corecmp.c" -lelf ||
    die "tests/tools/corecmp.c does not build"
gcc -std=gnu11 -O2 -Wall -Wextra -o "$OUT/sweepcheck" "$TOP/tests/tools/sweepcheck.c" -lelf ||
    die "tests/tools/sweepcheck.c does not build"
"$HERE/assemble.sh" "$OUT/images" "$XDUMP_BIN" || die "assembling the images failed (above)"
if [ -n "$LIBROOT" ]; then
    # The checks' crash, drgn and makedumpfile are the release's own: run in its root, with the
    # source tree, the results and the guest's vmlinux at the same paths (release.sh's in_root).
    mkdir -p "$OUT/bin"
    for t in crash drgn makedumpfile; do
        cat >"$OUT/bin/$t" <<EOF
#!/bin/sh
XDUMP_REALXEN_RELEASE=$REL XDUMP_REALXEN_ROOT=$LIBROOT
XDUMP_REALXEN_BIND="$TOP $OUT $(dirname "$(readlink -f "$OUT/images/guest-vmlinux")")"
export XDUMP_REALXEN_BIND
. "$HERE/release.sh"
in_root $t "\$@"
EOF
        chmod 755 "$OUT/bin/$t"
    done
    PATH=$OUT/bin:$PATH
    echo "realxen: makedumpfile $("$OUT/bin/makedumpfile" -v 2>/dev/null | awk '/^makedumpfile: version/ {print $3; exit}'), crash $("$OUT/bin/crash" --version 2>/dev/null | awk '/^crash/ {print $2; exit}') and drgn $("$OUT/bin/drgn" --version 2>/dev/null | awk 'NR == 1 {print $2}') from $LIBROOT"
fi
echo "realxen: images ready after $(since "$T0") s; booting $NAME for: $SCENARIOS"
"$HERE/run.sh" "$SCENARIOS" "$OUT/results" "$OUT/images"
run_rc=$?

# ---- host checks -------------------------------------------------------------------------------------
R=$OUT/results
npass=0
nfail=0
[ $run_rc -eq 0 ] || nfail=$((nfail + 1))
for s in $(echo "$SCENARIOS" | tr '+' ' '); do
    echo "==== $s"
    case $s in
    pv | pvh | pvh-noxl)
        NOXL=$([ $s = pvh-noxl ] && echo 1 || echo 0) sh "$HERE/checks/dumpboth.sh" "$R/$s" "$OUT/corecmp" \
            "$OUT/images/guest-vmlinux" >"$R/$s.check" 2>&1
        sh "$HERE/checks/linuxcrash.sh" "$R/$s" "$OUT/images/guest-vmlinux" >"$R/$s.crash.check" 2>&1
        cat "$R/$s.crash.check" >>"$R/$s.check"
        if [ "$KDUMP" = 1 ]; then
            sh "$HERE/checks/linuxcrash.sh" "$R/$s" "$OUT/images/guest-vmlinux" crash.kdump >"$R/$s/kdump.check" 2>&1
            cat "$R/$s/kdump.check" >>"$R/$s.check"
        fi
        if [ $s = pv ]; then other=$([ -d "$R/pvh" ] && echo pvh || echo pvh-noxl); else other=pv; fi
        XDUMP_HOST_BIN=$XDUMP_BIN sh "$HERE/checks/readers.sh" "$R/$s" "$OUT/images/guest-vmlinux" \
            "$R/$other" >>"$R/$s.check" 2>&1
        mkdir -p "$R/$s/readers"
        echo "crash, drgn, gdb on xdump's crash core (linuxcrash.sh)=$(grep -q '^FAIL:' "$R/$s.crash.check" && echo FAIL || echo PASS)" \
            >>"$R/$s/readers/matrix.txt"
        [ "$KDUMP" = 1 ] && echo "crash, drgn on xdump's kdump file of the crash, -d 31 zstd (linuxcrash.sh)=$(grep -q '^FAIL:' "$R/$s/kdump.check" && echo FAIL || echo PASS)" \
            >>"$R/$s/readers/matrix.txt"
        ;;
    pvguest) sh "$HERE/checks/pvguest.sh" "$R/$s" "$OUT/corecmp" "$OUT/images/pvguest/kernel.elf" \
        >"$R/$s.check" 2>&1 ;;
    watch) sh "$HERE/checks/watch.sh" "$R/$s" >"$R/$s.check" 2>&1 ;;
    precopy) sh "$HERE/checks/precopy.sh" "$R/$s" "$OUT/sweepcheck" "$OUT/images/guest-vmlinux" \
        >"$R/$s.check" 2>&1 ;;
    kdump) case "+$SCENARIOS+" in # a switch for the pv/pvh scenarios (scenarios/kdump.sh)
        *+pv+* | *+pvh+* | *+pvh-noxl+*) echo "PASS: kdump: the crashed pv/pvh guests' kdump files are checked with them" ;;
        *) echo "FAIL: kdump: no pv, pvh or pvh-noxl scenario in this run to write a kdump file" ;;
        esac >"$R/$s.check" ;;
    *) echo "FAIL: $s: no host check for this scenario" >"$R/$s.check" ;;
    esac
    cat "$R/$s.check"
    npass=$((npass + $(grep -c '^PASS:' "$R/$s.check")))
    nfail=$((nfail + $(grep -c '^FAIL:' "$R/$s.check")))
done

# The matrix of this run's scenarios only: a results directory keeps other runs' cells.
PVM=/dev/null PVHM=/dev/null
case "+$SCENARIOS+" in *+pv+*) PVM=$R/pv/readers/matrix.txt ;; esac
case "+$SCENARIOS+" in *+pvh+*) PVHM=$R/pvh/readers/matrix.txt ;; *+pvh-noxl+*) PVHM=$R/pvh-noxl/readers/matrix.txt ;; esac
if [ -f "$PVM" ] || [ -f "$PVHM" ]; then
    echo "==== readers (issue 15): each cell judged by the guest's own data or xl's pages"
    printf '  %-72s %-5s %-5s\n' reader pv pvh
    cat "$PVM" "$PVHM" 2>/dev/null | cut -d= -f1 | awk '!seen[$0]++' | while read -r c; do
        printf '  %-72s %-5s %-5s\n' "$c" \
            "$(grep -F "$c=" "$PVM" 2>/dev/null | cut -d= -f2)" \
            "$(grep -F "$c=" "$PVHM" 2>/dev/null | cut -d= -f2)"
    done
fi
echo "==== timings"
sed 's/^/  run: /' "$R/run.txt" 2>/dev/null
grep -h '^TIME:' "$R"/*.check 2>/dev/null | sed 's/^/  /'
# for make bench's real-Xen row (bench/run.sh reads build/realxen/timings.txt)
{
    echo "measured $(date -u +%Y-%m-%dT%H:%MZ) by tests/realxen/check.sh ($NAME, QEMU TCG, $(nproc) CPUs)"
    grep -h '^TIME:' "$R"/*.check 2>/dev/null
} >"$OUT/timings.txt"
echo "  total (assemble + boot + checks): $(since "$T0") s"
if [ $nfail -eq 0 ] && [ "${XDUMP_REALXEN_KEEP_CORES:-0}" != 1 ]; then
    rm -f "$R"/*/*.core "$R"/*/*.kdump
fi
echo "realxen ($NAME, $SCENARIOS): $npass passed, $nfail failed, $(since "$T0") s" | tee "$OUT/summary.txt"
[ $nfail -eq 0 ]
