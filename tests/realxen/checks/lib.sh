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
