#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario watch (runs in dom0, cwd = its results directory): the crash hook on real Xen.
# `xdump watch` runs in the background; xdump's PV test kernel (fixtures/pvguest, on_crash =
# "preserve") crashes at once after `xl create`. The watcher must learn of it through real
# xenstored's @releaseDomain, dump it once and `xl destroy` it; the same guest again (a new
# domid) gives a second core; with --then preserve, a restart of the watcher must not dump the
# same crash twice. Writes times.txt (key=value), watch-*.log (JSON lines), the cores in dumps/.
. /scenarios/lib.sh
[ -f /guest/pvguest.elf ] || { echo "no /guest/pvguest.elf (fixtures/pvguest not built)"; exit 1; }
[ -x /usr/bin/xdump ] || { echo "watch_rc=missing" >>times.txt; exit 1; }
D=$PWD/dumps
rc=0

# watch_start LOG ARGS...: the watcher in the background.
watch_start() {
    log=$1
    shift
    xdump watch --no-syslog --json --dir "$D" --min-free 1M --rescan 5 "$@" 2>>"$log" &
    WPID=$!
    sleep 1
}
# watch_stop KEY: SIGTERM; its exit status in times.txt as KEY.
watch_stop() {
    kill -TERM $WPID
    wait $WPID
    echo "$1=$?" >>times.txt
}
# wait_log LOG PATTERN COUNT SECONDS: until COUNT lines of LOG match PATTERN (grep -E).
wait_log() {
    i=0
    while [ $i -lt $(($4 * 4)) ]; do
        [ "$(grep -Ec "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
        sleep 0.25
        i=$((i + 1))
    done
    echo "waited $4 s for $3 line(s) matching '$2' in $1:"
    cat "$1"
    return 1
}
cores() { ls "$D" 2>/dev/null | grep -c '^pvguest-.*\.core$'; }

minimal_run
# 1. Crash -> dump -> xl destroy, twice (a new domid each time).
watch_start watch-1.log --then destroy --keep 2
for n in 1 2; do
    t0=$(now)
    xl create /guest/pvguest.cfg >create-$n.txt 2>&1 || { cat create-$n.txt; exit 1; }
    id=$(domid pvguest)
    echo "domid_$n=$id" >>times.txt
    wait_log watch-1.log "\"event\":\"dump-done\",\"domid\":$id," 1 90 || rc=1
    echo "crash_to_core_seconds_$n=$(since $t0)" >>times.txt
    wait_log watch-1.log "\"event\":\"then-(done|failed)\",\"domid\":$id," 1 60 || rc=1
    echo "crash_to_destroyed_seconds_$n=$(since $t0)" >>times.txt
    sleep 1
    if xl list pvguest >/dev/null 2>&1; then
        echo "gone_$n=0" >>times.txt
        xl destroy pvguest
    else
        echo "gone_$n=1" >>times.txt
    fi
done
watch_stop watch_exit_1
run_lock_after
echo "cores_after_two=$(cores)" >>times.txt

# 2. --then preserve, and a restart of the watcher: the same crash is not dumped again.
watch_start watch-2.log --then preserve --keep 3
xl create /guest/pvguest.cfg >create-3.txt 2>&1 || { cat create-3.txt; exit 1; }
id=$(domid pvguest)
echo "domid_3=$id" >>times.txt
wait_log watch-2.log "\"event\":\"dump-done\",\"domid\":$id," 1 90 || rc=1
watch_stop watch_exit_2
xl list pvguest >xl-list-preserved.txt 2>&1 && echo "preserved=1" >>times.txt
watch_start watch-3.log --then preserve --keep 3
wait_log watch-3.log "\"event\":\"already-dumped\",\"domid\":$id," 1 30 && echo "already=1" >>times.txt
watch_stop watch_exit_3
echo "cores_of_domid_3=$(ls "$D" | grep -c "^pvguest-$id-")" >>times.txt
xl destroy pvguest

ls -l "$D" >ls.txt 2>&1
f=$(ls "$D" | grep '\.core$' | head -n 1)
[ -n "$f" ] && xdump info "$D/$f" >info.txt 2>&1
cat times.txt
exit $rc
