#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# readers.sh DIR VMLINUX [OTHER_DIR] - the reader matrix (issue 15) on a pv/pvh scenario's
# cores: readers no one here wrote, each judged by the guest's own data (its boot mark, its
# panic, its kernel image's pages) or by Xen's own dumper's pages - never by "it ran".
#
#   makedumpfile 1.7.2 -c / -l -d 31 of crash.core, then crash on the output: sys (release,
#       panic string), bt (the sysrq frames), log (this boot's mark); every page of the kernel
#       image is still there (libkdumpfile reads the output); the output smaller than the pages
#       left once free, cache and user pages are out. Sizes and times are printed.
#   makedumpfile -E -d 31 (a filtered ELF), then gdb and crash: the same answers.
#   libkdumpfile on xdump.core: every pfn of `xl dump-core`'s core (its own index) reads the
#       same page; its vCPU registers are the core's NT_PRSTATUS; the kernel's release found.
#   xdump info, readelf -lnS, eu-readelf -lnS: no warning.
# Negative controls: libkdumpfile on a copy with one byte flipped finds that page different;
# the boot-mark check given the other guest's mark fails; the image check against the other
# guest's core fails.
set -u
DIR=$1
VMLINUX=$2
OTHER=${3:-}
SCEN=$(basename "$DIR")-readers
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$DIR/times.txt
CORE=$DIR/crash.core
PY=/usr/bin/python3 # Debian's, where python3-libkdumpfile is
KD="$PY $HERE/kdumpfile-check.py"
W=$DIR/readers
mkdir -p "$W"
# Scenario pvh-noxl has no xl.core (make check leaves PVH's 4-7 minute xl dump-core to make
# realxen-all): libkdumpfile's pages are then not compared with Xen's dumper (said below).
XL=$DIR/xl.core
NOXL=0
case $DIR in *-noxl) NOXL=1 XL=$DIR/xdump.core ;; esac
[ -f "$CORE" ] && [ -f "$DIR/xdump.core" ] && [ -f "$XL" ] ||
    { failed "the cores (crash.core, xdump.core, xl.core) are there"; finish; exit 1; }
MARK=$(sed -n 's/.*GUEST-READY .* mark=\([0-9a-f-]*\).*/\1/p' "$DIR/console.log" | head -1)
RELEASE=$(sed -n 's/.*GUEST-READY \([^ ]*\) .*/\1/p' "$DIR/console.log" | head -1)
OMARK=$([ -n "$OTHER" ] && sed -n 's/.*GUEST-READY .* mark=\([0-9a-f-]*\).*/\1/p' "$OTHER/console.log" | head -1)
[ -n "$OMARK" ] || OMARK=00000000-0000-4000-8000-000000000000
now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{printf "%.2f", $1 - $2}'; }
mib() { echo "$1" | awk '{printf "%.1f", $1 / 1048576}'; }
# The kernel image's pfns the kernel keeps, from the vmlinux (its own symbols): text, rodata,
# data, bss - not its init sections, the gaps between sections nor the unused part of
# .bss..decrypted (from __start_bss_decrypted_unused), which it frees after boot: free pages
# (drgn on a core: buddy pages), which makedumpfile -d 16 rightly drops. Virtual minus __START_KERNEL_map:
# phys_base is 0 (the guest says "Kernel Offset: disabled"). The shell's arithmetic is signed
# 64-bit: the top half, ffffffff, is taken off first.
NM=$W/vmlinux.nm
nm "$VMLINUX" >"$NM"
pfn_of() { echo $(((0x$(awk -v s="$1" '$3 == s { print substr($1, 9) }' "$NM") - 0x80000000 + $2) >> 12)); }
IMG=
BSS_END=__bss_stop
grep -q ' __start_bss_decrypted_unused$' "$NM" && BSS_END=__start_bss_decrypted_unused
for r in _text:_etext __start_rodata:__end_rodata _sdata:_edata __bss_start:$BSS_END; do
    IMG="$IMG $(printf '0x%x-0x%x' "$(pfn_of "${r%%:*}" 0)" "$(pfn_of "${r#*:}" 4095)")"
done

# The matrix: each check belongs to the cell named last by `cell`; $W/matrix.txt gets a line
# "NAME=PASS|FAIL" per cell (check.sh prints the table of both guests).
: >"$W/matrix.txt"
CELL= CELL_FAILS=0
cell() {
    [ -n "$CELL" ] && echo "$CELL=$([ $NFAIL -eq $CELL_FAILS ] && echo PASS || echo FAIL)" >>"$W/matrix.txt"
    CELL=$1 CELL_FAILS=$NFAIL
}

# crash_reads OUT FILE MARK: crash on FILE shows the release, the panic, the sysrq frames and
# MARK in the log.
crash_reads() {
    printf 'sys\nbt\nlog\nexit\n' | timeout 300 crash -s "$VMLINUX" "$2" >"$1" 2>&1
    grep -q "RELEASE: $RELEASE\$" "$1" || { crash_said "$1" "no RELEASE: $RELEASE"; return 1; }
    grep -q 'PANIC: "Kernel panic - not syncing: sysrq triggered crash"' "$1" ||
        { crash_said "$1" "no PANIC line"; return 1; }
    crash_through_sysrq "$VMLINUX" "$2" "$1" "${1%.txt}-bt-T.txt" ||
        { crash_said "$1" "no sysrq frames, in bt or on the stack"; return 1; }
    grep -q "XDUMP-GUEST-MARK $3" "$1" || { crash_said "$1" "no boot mark in the log"; return 1; }
}
# crash_said FILE WHAT: why a crash check failed, with what crash said (its errors, its end).
crash_said() {
    echo "    | crash: $2; its errors and last lines:"
    { grep -iE 'error|invalid|cannot|excluded|not found' "$1" | head -8; tail -6 "$1"; } | sed 's/^/    | /'
}

# ---- makedumpfile -c / -l -d 31, then crash ---------------------------------------------------
in_pages=$(sed -n 's/^pages: *\([0-9]*\).*/\1/p' "$DIR/info-crash.txt" | head -1)
for codec in c l; do
    cell "makedumpfile -$codec -d 31, then crash"
    K=$W/crash-$codec.kdump
    rm -f "$K"
    t0=$(now)
    makedumpfile -$codec -d 31 --message-level 22 "$CORE" "$K" >"$W/makedumpfile-$codec.txt" 2>&1
    rc=$?
    secs=$(since "$t0")
    R=$W/makedumpfile-$codec.txt
    h() { v=$(sed -n "s/^ *$1 *: 0x\([0-9a-f]*\).*/\1/p" "$R" | head -1); echo $((0x${v:-0})); }
    free=$(h "Free pages") cache=$(($(h "Non-private cache pages") + $(h "Private cache pages")))
    user=$(h "User process data pages") zero=$(h "Pages filled with zero")
    size=$(stat -c %s "$K" 2>/dev/null || echo 0)
    echo "INFO: $SCEN: makedumpfile -$codec -d 31: $(mib "$(stat -c %s "$CORE")") MiB ($in_pages pages) -> $(mib "$size") MiB in $secs s; excluded: $free free, $cache cache, $user user, $zero zero pages"
    check "makedumpfile -$codec -d 31 completes (rc $rc)" [ "$rc" = 0 ]
    if [ "$free" = 0 ] && grep -q "kernel version is not supported" "$R"; then
        # makedumpfile says "The kernel version is not supported" of Linux 6.1 (1.7.2) and 6.12
        # (1.7.2 and Debian 13's 1.7.6) alike, but finds free pages in 6.1 only: 6.12 moved the
        # buddy marker into a new page_type encoding. The reader's limit, not the core's; the
        # rest of the cell still holds it to its output.
        echo "INFO: $SCEN: makedumpfile $(makedumpfile -v 2>/dev/null | awk '/version/ {print $3; exit}') does not support Linux $RELEASE (it says so): $free free pages found, the free-page exclusion not judged"
    else
        check "makedumpfile -$codec: it excluded free, cache and user pages ($free, $cache, $user)" \
            [ $((free > 0 && cache > 0)) = 1 ]
    fi
    left=$(((in_pages - free - cache - user) * 4096))
    check "makedumpfile -$codec: the output ($(mib "$size") MiB) is smaller than the pages left after free, cache and user ($(mib $left) MiB)" \
        [ $((size > 0 && size < left)) = 1 ]
    check "crash on makedumpfile -$codec's output: sys, the panic, the sysrq frames, this boot's mark" \
        crash_reads "$W/crash-on-$codec.txt" "$K" "$MARK"
    $KD image "$K" "$CORE" $IMG >"$W/image-$codec.txt" 2>&1
    I=$W/image-$codec.txt
    check "makedumpfile -$codec kept every page of the kernel image ($(kv "$I" image.kept) kept, $(kv "$I" image.zero) of zeros, $(kv "$I" image.dropped) dropped ($(kv "$I" image.dropped_first)), $(kv "$I" image.different) different, of pfns$IMG)" \
        [ "$(kv "$I" image.dropped)/$(kv "$I" image.different)/$(($(kv "$I" image.kept) > 1000))" = 0/0/1 ]
done
cell "negative controls (makedumpfile cells)"
# Negative controls of these checks: the other guest's mark is not in this log; this guest's
# kernel image pages against the other guest's core differ.
check "negative control: the boot-mark check fails with another boot's mark ($OMARK)" \
    sh -c '! grep -q "XDUMP-GUEST-MARK $1" "$2"' _ "$OMARK" "$W/crash-on-c.txt"
if [ -n "$OTHER" ] && [ -f "$OTHER/crash.core" ]; then
    $KD image "$W/crash-c.kdump" "$OTHER/crash.core" $IMG >"$W/image-other.txt" 2>&1
    check "negative control: the image check against the other guest's core fails ($(kv "$W/image-other.txt" image.different) pages differ)" \
        [ "$(kv "$W/image-other.txt" image.different)" -gt 0 ]
fi

# ---- makedumpfile -E -d 31 (filtered ELF), then gdb and crash ----------------------------------
cell "makedumpfile -E -d 31, then gdb and crash"
E=$W/crash.elf
rm -f "$E"
t0=$(now)
makedumpfile -E -d 31 "$CORE" "$E" >"$W/makedumpfile-E.txt" 2>&1
rc=$?
echo "INFO: $SCEN: makedumpfile -E -d 31: $(mib "$(stat -c %s "$E" 2>/dev/null || echo 0)") MiB in $(since "$t0") s (it copies each virtual PT_LOAD again: bigger than its input)"
check "makedumpfile -E -d 31 completes (rc $rc)" [ "$rc" = 0 ]
check "crash on makedumpfile -E's output: sys, the panic, the sysrq frames, this boot's mark" \
    crash_reads "$W/crash-on-E.txt" "$E" "$MARK"
timeout 300 gdb -batch -nx "$VMLINUX" "$E" -ex 'p init_task.comm' -ex 'p init_uts_ns.name.release' \
    -ex 'thread apply all bt 20' >"$W/gdb-on-E.txt" 2>&1
check "gdb on makedumpfile -E's output: init_task.comm, the release" \
    sh -c 'grep -q "= \"swapper/0" "$1" && grep -q "= \"$2" "$1"' _ "$W/gdb-on-E.txt" "$RELEASE"
bt_through_sysrq() {
    { grep -Eq " (panic|vpanic) \(" "$W/gdb-on-E.txt" && grep -q " sysrq_handle_crash " "$W/gdb-on-E.txt"; } ||
        gdb_through_panic "$VMLINUX" "$E" "$W/gdb-on-E.txt" "$W/gdb-stacks-E.txt"
}
check "gdb on makedumpfile -E's output: a backtrace through panic and sysrq (or the stack's return addresses, lib.sh)" \
    bt_through_sysrq
rm -f "$E" "$W"/*.kdump

# ---- libkdumpfile on xdump's core, against xl's pages --------------------------------------------
cell "libkdumpfile (pages vs xl's, registers, VMCOREINFO; flipped-byte control)"
XW=$(sed -n 's/^pfns=//p' "$DIR/xen-written.txt" 2>/dev/null)
L=$W/kdumpfile.txt
$KD pages "$DIR/xdump.core" "$XL" "$XW" >"$L" 2>&1
sed 's/^/    /' "$L" | head -12
check "libkdumpfile opens xdump's core as $(kv "$L" format), kernel $(kv "$L" linux.uts.release) (VMCOREINFO: $(kv "$L" vmcoreinfo.osrelease))" \
    [ "$(kv "$L" linux.uts.release)/$(kv "$L" vmcoreinfo.osrelease)" = "$RELEASE/$RELEASE" ]
if [ $NOXL = 1 ]; then
    echo "INFO: $SCEN: no xl dump-core in this scenario (make realxen-all runs it): libkdumpfile's pages not compared with Xen's dumper"
else
check "libkdumpfile reads every pfn of xl's core from xdump's, the same page ($(kv "$L" pages.compared) compared, $(kv "$L" pages.unreadable) unreadable, $(kv "$L" pages.different) different; apart from pages Xen writes while paused: $(kv "$L" pages.different_xen_written))" \
    [ "$(kv "$L" pages.different)/$(kv "$L" pages.unreadable)/$(($(kv "$L" pages.compared) > 30000))" = 0/0/1 ]
fi
check "libkdumpfile's vCPU registers are the core's NT_PRSTATUS ($(kv "$L" regs.vcpus) vCPUs, $(kv "$L" regs.different) different)" \
    [ "$(kv "$L" regs.different)/$(kv "$L" regs.vcpus)" = "0/$(kv "$L" regs.libkdumpfile_cpus)" ]
$KD flip "$DIR/xdump.core" 0x1000 "$W/flipped.core" >"$W/flip.txt" 2>&1
$KD pages "$W/flipped.core" "$XL" "$XW" >"$W/kdumpfile-flipped.txt" 2>&1
check "negative control: libkdumpfile on a copy with one byte flipped ($(kv "$W/flip.txt" flipped)) finds exactly that page different" \
    [ "$(kv "$W/kdumpfile-flipped.txt" pages.different_first)" = 0x1000 ]
rm -f "$W/flipped.core"

# ---- no warning from the ELF readers -------------------------------------------------------------
cell "xdump info, readelf -lnS, eu-readelf -lnS: no warning"
xdump_bin=${XDUMP_HOST_BIN:-$(dirname "$HERE")/../../build/xdump}
"$xdump_bin" info "$CORE" >"$W/info.txt" 2>&1
check "xdump info: no warning" sh -c '! grep -qi "warning" "$1"' _ "$W/info.txt"
readelf -lnS "$CORE" >"$W/readelf.txt" 2>&1
check "readelf -lnS: no warning" sh -c '! grep -qiE "warning|error" "$1"' _ "$W/readelf.txt"
eu-readelf -lnS "$CORE" >"$W/eu-readelf.txt" 2>&1
check "eu-readelf -lnS: no warning ($(grep -ciE 'warning|error|invalid' "$W/eu-readelf.txt"))" \
    sh -c '! grep -qiE "warning|error|invalid" "$1"' _ "$W/eu-readelf.txt"
cell ""
finish
