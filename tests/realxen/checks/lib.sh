# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the host-side checks: each assertion prints one PASS or FAIL line.
NFAIL=0
NPASS=0
pass() { echo "PASS: $SCEN: $*"; NPASS=$((NPASS + 1)); }
failed() { echo "FAIL: $SCEN: $*"; NFAIL=$((NFAIL + 1)); }
# check DESCRIPTION COMMAND...: PASS when the command succeeds.
check() {
    d=$1
    shift
    if "$@"; then pass "$d"; else failed "$d"; fi
}
# not CMD...: CMD fails (for a negative control through check).
not() { ! "$@"; }
# kv FILE KEY: the value of KEY=... in FILE (first match).
kv() { sed -n "s/^$2=\([^ ]*\).*/\1/p" "$1" 2>/dev/null | head -1; }
finish() {
    echo "$SCEN: $NPASS passed, $NFAIL failed"
    [ $NFAIL -eq 0 ]
}

# gdb_through_panic VMLINUX CORE BT OUT: gdb's backtrace BT (a file) passes through panic, or -
# gdb 13.1 on Linux 6.12 PV, 1 run in 2: its unwinder stops in xen_hypercall_pv (frame #2
# "?? ()") while crash and drgn unwind the same vCPU's registers from the same core - the
# vCPUs' own stacks (gdb-stacks.py, x/a of each) hold the return addresses of panic, the sysrq
# handler and write_sysrq_trigger, in that order (6.12's cloud kernel inlines
# sysrq_handle_crash into __handle_sysrq, and gdb names the address so). Says which, as INFO.
gdb_through_panic() {
    grep -Eq ' (panic|vpanic) \(' "$3" && return 0
    timeout 300 gdb -batch -nx "$1" "$2" -x "$(dirname "$0")/gdb-stacks.py" >"$4" 2>&1
    order=$(grep -oE '<(vpanic|panic|sysrq_handle_crash|__handle_sysrq|write_sysrq_trigger)\+' "$4" |
        tr -d '<+' | sed 's/^vpanic$/panic/; s/^__handle_sysrq$/sysrq_handle_crash/' | uniq | tr '\n' ' ')
    echo "INFO: $SCEN: gdb's bt stopped short ($(grep -m3 '^#[0-9]' "$3" | tail -1)); the stacks' return addresses: $order"
    echo "$order" | grep -q "panic sysrq_handle_crash write_sysrq_trigger"
}

# crash_through_sysrq VMLINUX CORE BT OUT: crash's backtrace BT (a file) has the sysrq frames
# (panic, sysrq_handle_crash, write_sysrq_trigger), or - crash 8.0.6 (Debian 13) on Linux 6.12
# PVH, 1 run in 2 or 3, on xdump's core and on makedumpfile's output of it alike: its unwinder
# steps from panic's frame straight to entry_SYSCALL_64 or a stale return address further up,
# while gdb and drgn unwind the whole chain from the same core - crash itself finds those
# frames on the task's stack, in that order (`bt -T`, into OUT). Says which, when it falls back.
crash_through_sysrq() {
    if grep -q " panic at " "$3" && grep -q " sysrq_handle_crash at " "$3" &&
        grep -q " write_sysrq_trigger at " "$3"; then
        return 0
    fi
    printf 'bt -T\nexit\n' | timeout 300 crash -s "$1" "$2" >"$4" 2>&1
    order=$(grep -oE ' (panic|sysrq_handle_crash|write_sysrq_trigger) at ' "$4" | awk '{print $1}' |
        uniq | tr '\n' ' ')
    echo "INFO: $SCEN: crash's bt on $(basename "$2") stopped short: $(grep -m3 '^ #[0-9]' "$3" |
        awk '{print $3}' | tr '\n' ' ')- bt -T of the task: $order"
    echo "$order" | grep -q "panic sysrq_handle_crash write_sysrq_trigger"
}
