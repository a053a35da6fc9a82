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
