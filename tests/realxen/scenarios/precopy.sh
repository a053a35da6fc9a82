#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario precopy (issue 20, runs in dom0, cwd = its results directory): a PVH Linux guest
# (160 MiB) running a writer (guest/sweep.c: 64 MiB of self-describing pages swept in order,
# SWEEP_RATE MiB/s), dumped while it writes:
#   paused.core    xdump's paused dump (the reference time; one moment by construction)
#   precopy.core   xdump --precopy (must be one moment: checks/precopy.sh with sweepcheck)
#   live.core      xdump --live of the same writer (must not be)
#   kill0, kill1   xdump --precopy SIGKILLed in round 0 and after it (a later round or the
#                  pause): the guest must be left running, log-dirty off - the next
#                  --precopy dump would exit 13 if it were still on (precopy2.core)
#   offmid         log-dirty turned off by another user in round 0: xdump must copy every
#                  page again paused (offmid.core: one moment, and says so)
#   stolen         log-dirty turned on by another user (ldctl, as `xl migrate` would):
#                  xdump --precopy exits 13 with one line and leaves it on
# times.txt: the writer's magic and pages (from its console line), every rc and time, the
# pause xdump printed and what `xdump info` says of each pre-copy core.
. /scenarios/lib.sh
SWEEP_MIB=${SWEEP_MIB:-64}
SWEEP_RATE=${SWEEP_RATE:-8}
G=precopy
CON=/var/log/xen/console/guest-$G.log

t0=$(now)
xl create /guest/$G.cfg >create.txt 2>&1 || { cat create.txt; echo "xl create failed"; exit 1; }
if ! wait_console $G GUEST-READY 120; then
    cat $CON
    echo "guest $G did not reach userspace in 120 s"
    exit 1
fi
echo "boot_seconds=$(since $t0)" >>times.txt
id=$(domid $G)
echo "domid=$id" >>times.txt
tty=$(xenstore read /local/domain/$id/console/tty 2>&1)
case $tty in /dev/pts/*) ;; *) echo "no console tty for domain $id: $tty"; exit 1 ;; esac
t0=$(now)
echo "sweep $SWEEP_MIB $SWEEP_RATE" >"$tty"
if ! wait_console $G SWEEP-READY 120; then
    tail -20 $CON
    echo "the writer did not start in 120 s"
    exit 1
fi
echo "sweep_start_seconds=$(since $t0)" >>times.txt
line=$(grep -m1 SWEEP-READY $CON | tr -d '\r')
echo "$line"
echo "sweep_magic=$(echo "$line" | sed -n 's/.*magic=\(0x[0-9a-f]*\).*/\1/p')" >>times.txt
echo "sweep_pages=$(echo "$line" | sed -n 's/.*pages=\([0-9]*\).*/\1/p')" >>times.txt
echo "sweep_rate=$SWEEP_RATE" >>times.txt
# Let the writer sweep at its rate for a while (a lap of 64 MiB at 8 MiB/s takes 8 s).
sleep 2

# ldctl_errno KEY DOMID OP: ldctl's answer (errno=0 when the call succeeded) into times.txt.
ldctl_errno() {
    ldctl $2 $3 >$1-ldctl.txt 2>&1
    echo "$1=$(sed -n 's/.*errno=\([A-Za-z0-9]*\).*/\1/p' $1-ldctl.txt | head -1)" >>times.txt
}
# state KEY: the guest's `xl list` state (e.g. r-----, -b----; p in the third place: paused).
state() { echo "$1=$(xl list $G 2>/dev/null | awk 'NR == 2 {print $5}')" >>times.txt; }
# precopy_line KEY OUT: the pause xdump printed ("pre-copy: N rounds, paused X ms, final set
# Y pages") into times.txt.
precopy_line() {
    l=$(grep -o 'pre-copy: [0-9]* rounds, paused [0-9.]* ms, final set [0-9]* pages' $2 | tail -1)
    echo "$1_rounds=$(echo "$l" | awk '{print $2}')" >>times.txt
    echo "$1_pause_ms=$(echo "$l" | awk '{print $5}')" >>times.txt
    echo "$1_final_pages=$(echo "$l" | awk '{print $9}')" >>times.txt
}

rc=0
state state_before
xdump_timed $id paused.core paused paused.out info-paused.txt || rc=1
state state_after_paused
xdump_timed "--precopy $id" precopy.core precopy precopy.out info-precopy.txt || rc=1
precopy_line precopy precopy.out
state state_after_precopy
xdump_timed "--live $id" live.core live live.out info-live.txt || rc=1
state state_after_live
# Three cores (~100 MiB each in dom0's memory) leave now: a fourth would not fit beside them.
t0=$(now)
d=$(basename "$PWD")
out_send $d/paused.core $d/precopy.core $d/live.core
echo "send_seconds=$(since $t0)" >>times.txt

# start_at KEY PATTERN [BUDGET]: xdump --progress --precopy[=BUDGET] to KEY.core in the
# background (pid xpid), returning once its progress output matches PATTERN (round 0 copies
# while the guest runs; its 100% line ends it) or it has ended; the progress then in times.txt.
start_at() {
    rm -f $1.core
    xdump --progress --precopy${3:+=$3} $id $1.core >$1.out 2>&1 &
    xpid=$!
    i=0
    while [ $i -lt 1200 ] && kill -0 $xpid 2>/dev/null; do
        tr '\r' '\n' <$1.out | grep -Eq "$2" && break
        sleep 0.05
        i=$((i + 1))
    done
    echo "$1_progress_at=$(tr '\r' '\n' <$1.out | grep -o '[0-9]*%' | tail -1)" >>times.txt
}

# kill_during KEY PATTERN [BUDGET]: start_at, then SIGKILL. Before the kill, ldctl's ENABLE
# must fail with EINVAL (log-dirty is on: xdump's; Xen's paging_log_dirty_enable() returns
# -EINVAL when the domain is already in log-dirty mode, xen/arch/x86/mm/paging.c l.229-230 in
# stable-4.17). Then waits for xdump's guardian to finish, and records the guest's state.
kill_during() {
    start_at "$@"
    if kill -0 $xpid 2>/dev/null; then
        ldctl_errno $1_ldctl_before $id enable
        # ENABLE succeeded: the tracking was not on (not xdump's): give it back.
        grep -q "^$1_ldctl_before=0$" times.txt && ldctl $id off
    fi
    kill -9 $xpid
    wait $xpid
    echo "$1_rc=$?" >>times.txt
    # the guardian (xdump's child, now init's) turns log-dirty off, unpauses, removes the file
    i=0
    while [ $i -lt 200 ] && ps | grep -v grep | grep -q 'xdump '; do
        sleep 0.05
        i=$((i + 1))
    done
    echo "$1_guardian_wait_seconds=$(echo $i | awk '{printf "%.2f", $1 * 0.05}')" >>times.txt
    echo "$1_files_left=$(ls -a | grep -c "^\.*$1\.core")" >>times.txt
    state $1_state
}
kill_during kill0 ' ([2-9][0-9])%'
# A budget of 1 ms: rounds until the dirty set stops shrinking, a wider window after round 0.
kill_during kill1 '100%' 1
# After both kills: log-dirty must be off, or this exits 13.
xdump_timed "--precopy $id" precopy2.core precopy2 precopy2.out info-precopy2.txt || rc=1
precopy_line precopy2 precopy2.out
state state_after_precopy2

# Someone turns the tracking off during round 0 (as another tool's OFF would): xdump finds
# out at the pause (its ENABLE probe succeeds) and copies every page again, paused.
start_at offmid ' ([2-9][0-9])%'
if kill -0 $xpid 2>/dev/null; then
    ldctl_errno offmid_ldctl_off $id off
fi
wait $xpid
echo "offmid_rc=$?" >>times.txt
precopy_line offmid offmid.out
xdump info offmid.core >info-offmid.txt 2>&1
state state_after_offmid

# Someone else's tracking (a migration): left on, untouched, one line, exit 13.
ldctl_errno stolen_ldctl_enable $id enable
xdump --precopy $id stolen.core >stolen.out 2>stolen.err
echo "stolen_rc=$?" >>times.txt
echo "stolen_stderr_lines=$(wc -l <stolen.err)" >>times.txt
echo "stolen_core_left=$(ls -a | grep -c 'stolen\.core')" >>times.txt
ldctl_errno stolen_ldctl_after $id enable
ldctl_errno stolen_ldctl_off $id off
state state_end

cp $CON console.log
xl dmesg >xl-dmesg.txt 2>&1
ls -l >ls.txt
cat times.txt
xl destroy $G
exit $rc
