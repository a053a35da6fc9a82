# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for dom0's init and the scenario scripts (busybox sh).
#
# Results disk (/dev/vda, raw): slot k is a tar archive at byte offset k GiB. out_flush writes
# everything under /out into the next slot and empties /out, so the cores of one scenario leave
# dom0's memory before the next scenario makes its own. The host reads slot after slot.

SLOT_FILE=/run/out-slot

log() { echo "XDUMP-REALXEN: [$(cut -d' ' -f1 /proc/uptime)] $*" >/dev/console; }

# now: seconds, with nanoseconds (coreutils date: busybox sh runs its own applet for a bare
# `date`, and that one has no %N).
now() { /usr/bin/date +%s.%N; }

# since T0: seconds elapsed since T0, 3 decimals.
since() { echo "$(now) $1" | awk '{printf "%.3f", $1 - $2}'; }

out_flush() {
    slot=$(cat $SLOT_FILE 2>/dev/null || echo 0)
    [ -b /dev/vda ] || { log "no /dev/vda: results cannot leave"; return 1; }
    kib=$(du -sk /out | cut -f1)
    [ "$kib" -lt 1040000 ] || log "results slot $slot: $kib KiB overflows its 1 GiB slot"
    t0=$(now)
    tar cf - -C /out . | dd of=/dev/vda bs=1M seek=$((slot * 1024)) 2>/dev/null
    sync
    log "results slot $slot: $kib KiB in $(since $t0) s"
    echo $((slot + 1)) >$SLOT_FILE
    rm -rf /out/*
}

# out_send FILE...: FILEs (paths under /out) into the next slot now, then removed: a scenario
# whose cores would not fit in dom0's memory all at once (its tmpfs root holds about 450 MiB)
# sends some early. The host untars every slot into the same results directory.
out_send() {
    slot=$(cat $SLOT_FILE 2>/dev/null || echo 0)
    [ -b /dev/vda ] || { log "no /dev/vda: results cannot leave"; return 1; }
    t0=$(now)
    (cd /out && tar cf - "$@") | dd of=/dev/vda bs=1M seek=$((slot * 1024)) 2>/dev/null
    sync
    log "results slot $slot: $* in $(since $t0) s"
    echo $((slot + 1)) >$SLOT_FILE
    (cd /out && rm -f "$@")
}

# wait_console NAME TEXT SECONDS: wait until guest NAME's console log shows TEXT.
wait_console() {
    i=0
    while [ $i -lt $(($3 * 2)) ]; do
        grep -q "$2" /var/log/xen/console/guest-$1.log 2>/dev/null && return 0
        sleep 0.5
        i=$((i + 1))
    done
    return 1
}

# domid NAME: the guest's domain id.
domid() { xl domid "$1"; }

# wait_state NAME FLAG SECONDS: wait until `xl list NAME` shows FLAG (e.g. c for crashed).
wait_state() {
    i=0
    while [ $i -lt $(($3 * 2)) ]; do
        xl list "$1" 2>/dev/null | awk -v f="$2" 'NR == 2 && index($5, f) {ok = 1} END {exit !ok}' &&
            return 0
        sleep 0.5
        i=$((i + 1))
    done
    return 1
}

# xdump_timed DOMID CORE KEY OUT INFO: dump DOMID with xdump to CORE, output in OUT; KEY_rc and
# KEY_seconds into times.txt; `xdump info` of the core into INFO. Returns non-zero (having
# said why) when xdump failed; KEY_rc=missing when this dom0 has no xdump.
xdump_timed() {
    if [ ! -x /usr/bin/xdump ]; then
        echo "$3_rc=missing" >>times.txt
        return 0
    fi
    t=$(now)
    xdump $1 $2 >$4 2>&1
    xrc=$?
    echo "$3_rc=$xrc" >>times.txt
    echo "$3_seconds=$(since $t)" >>times.txt
    xdump info $2 >$5 2>&1 || echo "xdump info of $2 failed"
    [ $xrc -eq 0 ] || { echo "xdump $1 $2 failed (rc $xrc):"; cat $4; return 1; }
}

# xl_dump_timed DOMID: Xen's own dumper to xl.core (xl_rc, xl_seconds), then, when this dom0
# has it, xenprobe (probe.txt). Returns non-zero when xl dump-core failed.
xl_dump_timed() {
    t=$(now)
    xl dump-core $1 xl.core >xl-dump-core.out 2>&1
    xlrc=$?
    echo "xl_rc=$xlrc" >>times.txt
    echo "xl_seconds=$(since $t)" >>times.txt
    if [ -x /usr/bin/xenprobe ]; then
        t=$(now)
        xenprobe $1 >probe.txt 2>&1
        echo "probe_seconds=$(since $t)" >>times.txt
    fi
    [ $xlrc -eq 0 ] || { echo "xl dump-core failed (rc $xlrc):"; cat xl-dump-core.out; return 1; }
}

# minimal_run: the scenario starts in a dom0 without /run/lock, whatever an earlier scenario's
# xdump made; records it in times.txt (run_lock_before=absent).
minimal_run() {
    rm -rf /run/lock
    [ -e /run/lock ] && echo "run_lock_before=present" >>times.txt || echo "run_lock_before=absent" >>times.txt
}
# run_lock_after: what the dump left (run_lock_after=MODE, or absent).
run_lock_after() {
    echo "run_lock_after=$(stat -c %a /run/lock 2>/dev/null || echo absent)" >>times.txt
}
