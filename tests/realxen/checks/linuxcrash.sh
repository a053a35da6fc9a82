#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# linuxcrash.sh DIR VMLINUX [crash.kdump] - host check of the crashed Linux guest of a pv/pvh
# scenario (dumpboth.sh's crash_linux_guest): the guest ran Debian's cloud kernel, crashed
# itself with `echo c > /proc/sysrq-trigger`, and xdump dumped it to crash.core (an ELF core)
# and to crash.kdump (`--format kdump -d 31 --compress zstd`, issue 19). crash, drgn and - of
# the ELF core - gdb, each with the kernel's own vmlinux (debug symbols), must read from the
# file what the guest did at run time: the boot's mark in the kernel log, its processes, the
# sysrq frames of the panic. The kdump file's checks are the ELF core's (gdb reads no kdump
# file), the same limits of crash allowed.
set -u
DIR=$1
VMLINUX=$2
FILE=${3:-crash.core}
. "$(dirname "$0")/lib.sh"
T=$DIR/times.txt
CORE=$DIR/$FILE
if [ "$FILE" = crash.kdump ]; then
    SCEN=$(basename "$DIR")-kdump K=crash_kdump I=$DIR/info-kdump.txt O=$DIR/kdump-
else
    SCEN=$(basename "$DIR")-crash K=crash_xdump I=$DIR/info-crash.txt O=$DIR/
fi

check "the guest crashed ($(kv "$T" crash_seconds) s after 'crash' on its console)" [ -n "$(kv "$T" crash_seconds)" ]
check "xdump dumped the crashed guest to $FILE in $(kv "$T" ${K}_seconds) s" [ "$(kv "$T" ${K}_rc)" = 0 ]
[ -f "$CORE" ] || { failed "no $FILE"; finish; exit 1; }
[ -s "$VMLINUX" ] || { failed "no guest vmlinux at $VMLINUX"; finish; exit 1; }
# What only this boot knows, from the guest's console.
MARK=$(sed -n 's/.*GUEST-READY .* mark=\([0-9a-f-]*\).*/\1/p' "$DIR/console.log" | head -1)
SLEEPER=$(sed -n 's/.*GUEST-READY .* sleeper=\([0-9]*\).*/\1/p' "$DIR/console.log" | head -1)
RELEASE=$(sed -n 's/.*GUEST-READY \([^ ]*\) .*/\1/p' "$DIR/console.log" | head -1)
check "the guest said its boot mark ($MARK), sleeper pid ($SLEEPER), release ($RELEASE)" \
    sh -c '[ -n "$1" ] && [ -n "$2" ] && [ -n "$3" ]' _ "$MARK" "$SLEEPER" "$RELEASE"
check "its console shows the sysrq panic" grep -q 'sysrq triggered crash' "$DIR/console-crash.log"
if [ "$FILE" = crash.kdump ]; then
    check "xdump info: a kdump-compressed file, pages zstd, dump level 31 ($(grep -m1 '^format:' "$I"))" \
        grep -Eq '^format: +kdump-compressed .*, pages zstd, dump level 31, ' "$I"
    elf=$(stat -c %s "$DIR/crash.core" 2>/dev/null || echo 0)
    elfdisk=$(($(stat -c '%b * %B' "$DIR/crash.core" 2>/dev/null || echo 0)))
    kd=$(stat -c %s "$CORE")
    sed -n 's/^xdump: \(dump level 31: .*\)/    xdump: \1/p' "$DIR/xdump-kdump.out"
    echo "TIME: $(basename "$DIR"): the crashed guest: ELF core $elf B ($elfdisk on disk) in $(kv "$T" crash_xdump_seconds) s," \
        "kdump -d 31 zstd $kd B ($(awk -v a="$kd" -v b="$elf" 'BEGIN {printf "%.1f", b ? 100 * a / b : 0}') %) in $(kv "$T" crash_kdump_seconds) s"
fi
check "xdump info: kernel $RELEASE from VMCOREINFO" grep -q "kernel: *$RELEASE (VMCOREINFO)" "$I"
# The guest says "Kernel Offset: disabled" when it panics (Xen loads a PV or PVH kernel where
# its ELF headers say; no KASLR): xdump info must say offset 0 and phys_base 0 the same.
check "xdump info: KASLR offset 0x0 and phys_base 0x0, as the guest's panic says (Kernel Offset: disabled)" \
    sh -c 'grep -q "Kernel Offset: disabled" "$1" && grep -q "phys_base 0x0, KASLR offset 0x0" "$2"' _ "$DIR/console-crash.log" "$I"

# ---- crash ------------------------------------------------------------------------------------
# A PV guest is read by crash as a Xen kdump: machine-addressed PT_LOADs and xdump's p2m frame
# lists, named by a Xen CRASH_INFO note (src/xenkdump.h); crash 8.0.2 has no other way to
# translate a PV kernel's page tables from an ELF core.
#
# Two limits of Debian 12's crash 8.0.2 with this kernel, whatever the dumper (Xen's own core
# shows the first too), are allowed for and said: (1) its pid table reader sizes struct pid
# without numbers[] (Debian's 6.1.192 has the flex-array backport; crash fixed it in 8.0.4,
# commit 88580068 "Fix failure of gathering task table on Linux 6.5-rc1 and later"): `ps`
# lists only the tasks on a CPU and warns "active task ... not found in PID hash"; the
# processes are listed here by walking init_task.tasks with crash's `list`; (2) for a PV vCPU
# other than the panicking one, its exception-stack search meets an IST stack it cannot name
# (PV's IDT has no machine-check IST entry) with size 0 and gives up on that vCPU's `bt`
# ("invalid size request: 0"), or - when that vCPU was stopped in Xen's event upcall on its IRQ
# stack - traces it there (stop_self <- smp_call_function <- xen_pv_evtchn_do_upcall) and
# finds no sane frame linking back to the task's stack ("possibly bogus exception frame").
C=${O}crash.txt
D=${O}drgn.txt
run_crash() {
    printf 'sys\nbt -a\nps\nlist task_struct.tasks -s task_struct.pid,comm -h init_task\nlog\nexit\n' |
        timeout 300 crash -s "$VMLINUX" "$CORE" >"$C" 2>&1
    echo "    crash: $(wc -l <"$C") lines of output ($C); the first 40:"
    head -40 "$C" | sed 's/^/    | /'
}
run_drgn() {
    timeout 300 drgn -q -c "$CORE" -s "$VMLINUX" --main-symbols "$(dirname "$0")/drgn-core.py" "$CORE" >"$D" 2>&1
    sed 's/^/    | /' "$D" | head -40
}

# A known limit, not a pass (tests/realxen/README.md, "kdump files of the crashed guests"): a
# PV guest's kdump file is pfn-addressed, as the format is, but a PV kernel's page tables hold
# machine frames. crash (8.0.2 and 8.0.6) sees a Xen PV kernel (xen_start_info set) and
# translates each page-table entry's machine frame to a pfn by searching a p2m, which, without
# a Xen CRASH_INFO note, it finds only in an `xl dump-core` file (kernel.c __xen_m2p() ->
# __xen_pvops_m2p_domU(), whose loop is bounded by the xc_core header's page count: 0): the
# first read of a vmalloc address at start-up stops it (x86_64_pud_offset(): FILL_PUD at
# ~0). libkdumpfile (drgn) reads the entry as a machine address, beyond the file's pfns. Each
# check below holds while the readers fail exactly so: one that starts reading these files
# makes it fail, and the full checks are then the ones to run.
if [ "$FILE" = crash.kdump ] && [ "$(basename "$DIR")" = pv ]; then
    run_crash
    check "known limit: crash stops at its first page-table read of the PV kernel, the machine frame not found in any p2m (crash: seek error: physical address: ffffffffffffffff type: \"pud page\")" \
        sh -c '[ "$(grep -c . "$1")" = 1 ] && grep -qx "crash: seek error: physical address: ffffffffffffffff  type: \"pud page\"" "$1"' _ "$C"
    run_drgn
    check "known limit: drgn (libkdumpfile) reads a page-table entry's machine frame as a pfn beyond the file's ($(grep -o 'Cannot read 64-bit PTE at MACHPHYSADDR:0x[0-9a-f]*: Out-of-bounds PFN' "$D" | head -1))" \
        sh -c 'grep -q "^init_task.comm=" "$1" && exit 1; grep -q "Cannot read 64-bit PTE at MACHPHYSADDR:0x[0-9a-f]*: Out-of-bounds PFN" "$1"' _ "$D"
    finish
    exit
fi
run_crash
ALLOWED='active task [0-9a-f]* on cpu [0-9]* not found in PID hash|^bt: invalid size request: 0 +type: "stack contents"|^bt: read of stack at fffffe[0-9a-f]* failed'
[ "$(basename "$DIR")" = pv ] && ALLOWED="$ALLOWED|^WARNING: possibly bogus exception frame\$"
other=$(grep -E "^(WARNING|crash:|bt:|ps:|list:|log:|sys:)" "$C" | grep -Ev "$ALLOWED" | head -3)
check "crash: no warning or error but crash 8.0.2's two known ones${other:+ (got: $other)}" [ -z "$other" ]
check "crash sys: RELEASE $RELEASE" grep -q "RELEASE: $RELEASE\$" "$C"
check "crash sys: the panic string" grep -q 'PANIC: "Kernel panic - not syncing: sysrq triggered crash"' "$C"
check "crash bt -a: the sysrq frames on the crashing vCPU (or, where its unwinder stops short, bt -T's stack in order: lib.sh)" \
    crash_through_sysrq "$VMLINUX" "$CORE" "$C" "${O}crash-bt-T.txt"
nvcpu=$(sed -n 's/^vcpus: *\([0-9]*\) .*/\1/p' "$I")
ncpu=$(grep -E '^PID: .* CPU: [0-9]+ ' "$C" | sed 's/.* CPU: *\([0-9]*\).*/\1/' | sort -u | wc -l)
check "crash bt -a: every vCPU has its entry ($ncpu of $nvcpu)" [ "$ncpu" = "$nvcpu" ]
check "crash ps: the panicking task, init, active on its CPU" grep -Eq '^> +1 +0 +[0-9]+ +[0-9a-f]+ +RU .* init$' "$C"
check "crash list init_task.tasks: the guest's own process xdump-sleeper (pid $SLEEPER)" \
    sh -c 'grep -A1 "^  pid = $2,\$" "$1" | grep -q "comm = \"xdump-sleeper"' _ "$C" "$SLEEPER"
nproc=$(grep -c '^  pid = ' "$C")
check "crash list: the guest's processes ($nproc, more than the tasks ps found)" [ "$nproc" -gt 20 ]
check "crash log: this boot's mark" grep -q "XDUMP-GUEST-MARK $MARK" "$C"
check "crash log: the panic" grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$C"

# ---- drgn --------------------------------------------------------------------------------------
run_drgn
check "drgn: init_task.comm is swapper/0" grep -qx 'init_task.comm=swapper/0' "$D"
check "drgn: the release ($RELEASE)" grep -qx "osrelease=$RELEASE" "$D"
check "drgn: the kernel log holds this boot's mark" grep -q "^dmesg: .*XDUMP-GUEST-MARK $MARK" "$D"
check "drgn: the task on the panicking vCPU is the one that wrote to sysrq-trigger" grep -qx 'panic_task=[0-9]* init' "$D"
check "drgn: its stack (from the vCPU's registers) shows the sysrq frames" \
    sh -c 'grep -qx "trace: sysrq_handle_crash" "$1" && grep -qx "trace: write_sysrq_trigger" "$1"' _ "$D"
# Issue 14: the live GS base, judged by the guest's own __per_cpu_offset[] (drgn), not by Xen's
# field names, which xdump misread for HVM/PVH before (gs_base 0 in a PVH core).
ngs=$(grep -c '^gs\.vcpu[0-9]*=' "$D")
check "drgn: every vCPU's NT_PRSTATUS gs_base is its CPU's __per_cpu_offset, kernel_gs_base the other base ($ngs of $nvcpu vCPUs; $(grep '^gs\.' "$D" | grep -v '=ok ' | head -1))" \
    sh -c '[ "$2" -gt 0 ] && [ "$2" = "$3" ] && ! grep "^gs\." "$1" | grep -qv "=ok "' _ "$D" "$ngs" "$nvcpu"

[ "$FILE" = crash.core ] || { finish; exit; }

# ---- gdb ---------------------------------------------------------------------------------------
G=$DIR/gdb-crash.txt
timeout 300 gdb -batch -nx "$VMLINUX" "$CORE" -ex 'info threads' -ex 'thread apply all bt 30' \
    -ex 'p init_task.comm' -ex 'p init_uts_ns.name.release' >"$G" 2>&1
sed 's/^/    | /' "$G" | grep -v '^    | \[New ' | head -60
check "gdb: p init_task.comm reads \"swapper/0\"" grep -q '= "swapper/0' "$G"
check "gdb: the release ($RELEASE)" grep -q "= \"$RELEASE" "$G"
check "gdb: a backtrace through panic on the crashing vCPU (or its stack's return addresses, lib.sh)" \
    gdb_through_panic "$VMLINUX" "$CORE" "$G" "$DIR/gdb-stacks.txt"

# Negative controls of the two fallbacks: on the core of the same guest paused while it ran
# (dumpboth.sh's xdump.core, before the crash), neither finds the sysrq frames.
if [ -f "$DIR/xdump.core" ]; then
    P=$DIR/paused
    printf 'bt -a\nexit\n' | timeout 300 crash -s "$VMLINUX" "$DIR/xdump.core" >"$P-crash.txt" 2>&1
    timeout 300 gdb -batch -nx "$VMLINUX" "$DIR/xdump.core" -ex 'thread apply all bt 30' >"$P-gdb.txt" 2>&1
    check "negative control: crash's sysrq-frame check (bt -a, bt -T) fails on the paused guest's core" \
        not crash_through_sysrq "$VMLINUX" "$DIR/xdump.core" "$P-crash.txt" "$P-crash-bt-T.txt"
    check "negative control: gdb's panic check (bt, the stacks) fails on the paused guest's core" \
        not gdb_through_panic "$VMLINUX" "$DIR/xdump.core" "$P-gdb.txt" "$P-gdb-stacks.txt"
fi
finish
