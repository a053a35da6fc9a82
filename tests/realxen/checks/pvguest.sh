#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# pvguest.sh DIR CORECMP KERNEL_ELF - host check of the pvguest scenario: xdump dumped the
# crashed test kernel; its core agrees with Xen's own dumper's, and gdb reads the crash from it
# (the call chain by name, values the kernel computed at run time - see fixtures/pvguest/main.c).
set -u
DIR=$1
CORECMP=$2
KERNEL=$3
SCEN=$(basename "$DIR")
. "$(dirname "$0")/lib.sh"
T=$DIR/times.txt

check "dom0 scenario ended with rc 0" [ "$(cat "$DIR/rc" 2>/dev/null)" = 0 ]
# Issue 14: a dom0 without /run/lock (busybox, tmpfs /run): the dump must not depend on it.
check "dom0 had no /run/lock ($(kv "$T" run_lock_before)); xdump made it, 0755 ($(kv "$T" run_lock_after))" \
    [ "$(kv "$T" run_lock_before)/$(kv "$T" run_lock_after)" = absent/755 ]
check "the test kernel crashed its domain ($(kv "$T" crash_seconds) s after xl create)" [ -n "$(kv "$T" crash_seconds)" ]
check "its console shows the run-time message" grep -q 'xdump pvguest: counter=333833500' "$DIR/console.log"
check "xl dump-core succeeded in $(kv "$T" xl_seconds) s" [ "$(kv "$T" xl_rc)" = 0 ]
check "xdump succeeded in $(kv "$T" xdump_seconds) s" [ "$(kv "$T" xdump_rc)" = 0 ]
# Issue 18: a PV dump looks the frames its page walk meets up in Xen's M2P (DOMID_XEN frames
# mapped read-only), each answer checked against the p2m; the page comparisons and the
# readers' answers (gdb, drgn, crash) on this core are its proof.
M2P=$(sed -n "s/^xdump: machine frames looked up in Xen's M2P: \([0-9]*\) entries read, \([0-9]*\) refused.*/\1 \2/p" "$DIR/xdump.out")
check "xdump read Xen's M2P for the page walk (${M2P%% *} entries read, ${M2P##* } refused)" \
    [ "${M2P%% *}" -gt 0 ] 2>/dev/null

if [ -f "$DIR/xl.core" ] && [ -f "$DIR/xdump.core" ]; then
    "$CORECMP" "$DIR/xl.core" "$DIR/xdump.core" >"$DIR/corecmp.txt" 2>&1
    C=$DIR/corecmp.txt
    sed 's/^/    /' "$C"
    check "every compared page equal ($(kv "$C" pages.compared) compared, $(kv "$C" pages.different) different)" \
        sh -c '[ "$1" = 0 ] && [ "$2" -gt 0 ]' _ "$(kv "$C" pages.different)" "$(kv "$C" pages.compared)" 2>/dev/null
    check "no pfn of xl's core missing from xdump's ($(kv "$C" pages.only_xl))" [ "$(kv "$C" pages.only_xl)" = 0 ]
    check "one context: the kernel never brings vCPU 1 up (xl $(kv "$C" regs.xl_contexts), xdump $(kv "$C" regs.xdump_prstatus))" \
        sh -c '[ "$1" = 1 ] && [ "$2" = 1 ]' _ "$(kv "$C" regs.xdump_prstatus)" "$(kv "$C" regs.xl_contexts)"
    check "vCPU registers agree ($(kv "$C" regs.different) different)" [ "$(kv "$C" regs.different)" = 0 ]
else
    failed "both cores present (xl.core: $([ -f "$DIR/xl.core" ] && echo yes || echo no), xdump.core: $([ -f "$DIR/xdump.core" ] && echo yes || echo no))"
fi

if ! command -v gdb >/dev/null 2>&1; then
    failed "gdb not found on the host: install Debian's gdb"
elif [ -f "$DIR/xdump.core" ]; then
    G=$DIR/gdb.txt
    timeout 60 gdb -batch -nx "$KERNEL" "$DIR/xdump.core" -ex 'info threads' -ex bt \
        -ex 'p/x counter' -ex 'p message' -ex 'p/x magic' \
        -ex 'p list_head->value' -ex 'p list_head->next->next->next->value' \
        -ex 'p list_head->next->name' -ex 'p crash_depth' >"$G" 2>&1
    sed 's/^/    /' "$G"
    nv=$(readelf -lW "$DIR/xdump.core" 2>/dev/null | awk '$1 == "LOAD" && $3 !~ /^0x0+$/' | wc -l)
    echo "INFO: $SCEN: xdump's core has $nv virtual PT_LOAD(s) (gdb reads memory only through them)"
    for f in pvguest_crash stage_four stage_three stage_two stage_one pvguest_main; do
        check "gdb backtrace shows $f" grep -q " $f (" "$G"
    done
    check "gdb shows the arguments (stage_four depth=4)" grep -q 'stage_four (depth=4' "$G"
    check "gdb reads counter = 0x13e5e51c (computed at run time)" grep -q '= 0x13e5e51c$' "$G"
    check "gdb reads message" grep -q '"xdump pvguest: counter=333833500"' "$G"
    check "gdb reads magic = 0x78646d7070766721" grep -q '= 0x78646d7070766721$' "$G"
    check "gdb follows the run-time linked list (40 ... 10, \"n3\")" \
        sh -c "grep -q '= 40\$' '$G' && grep -q '= 10\$' '$G' && grep -q '\"n3' '$G'"
fi
finish
