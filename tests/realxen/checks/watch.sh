#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# watch.sh DIR - host check of the watch scenario: `xdump watch` on real Xen saw each crash of
# the test kernel through xenstored's @releaseDomain, dumped it once under its final name, and
# destroyed it with xl (or left it, with --then preserve, without dumping it again on restart).
set -u
DIR=$1
SCEN=$(basename "$DIR")
. "$(dirname "$0")/lib.sh"
T=$DIR/times.txt

check "dom0 scenario ended with rc 0" [ "$(cat "$DIR/rc" 2>/dev/null)" = 0 ]
# Issue 14: a dom0 without /run/lock (busybox, tmpfs /run): the dump must not depend on it.
check "dom0 had no /run/lock ($(kv "$T" run_lock_before)); xdump made it, 0755 ($(kv "$T" run_lock_after))" \
    [ "$(kv "$T" run_lock_before)/$(kv "$T" run_lock_after)" = absent/755 ]
for n in 1 2; do
    check "crash $n dumped $(kv "$T" crash_to_core_seconds_$n) s after xl create" \
        grep -q "\"event\":\"dump-done\",\"domid\":$(kv "$T" domid_$n)," "$DIR/watch-1.log"
    check "crash $n destroyed by xl destroy ($(kv "$T" crash_to_destroyed_seconds_$n) s)" \
        [ "$(kv "$T" gone_$n)" = 1 ]
    check "crash $n: one crash-seen line" \
        [ "$(grep -c "\"event\":\"crash-seen\",\"domid\":$(kv "$T" domid_$n)," "$DIR/watch-1.log")" = 1 ]
done
check "two cores after two crashes ($(kv "$T" cores_after_two))" [ "$(kv "$T" cores_after_two)" = 2 ]
check "cores named pvguest-<domid>-<UTC stamp>.core, 0600" \
    sh -c '! grep "\.core$" "$1" | grep -Ev "^-rw------- .* pvguest-[0-9]+-[0-9]{8}T[0-9]{6}Z\.core$"' _ "$DIR/ls.txt"
check "the watcher exited 0 on SIGTERM (three times)" sh -c \
    '[ "$1$2$3" = 000 ]' _ "$(kv "$T" watch_exit_1)" "$(kv "$T" watch_exit_2)" "$(kv "$T" watch_exit_3)"
check "--then preserve left the crashed guest" [ "$(kv "$T" preserved)" = 1 ]
check "a restarted watcher knows the crash was dumped" [ "$(kv "$T" already)" = 1 ]
check "one core of that crash ($(kv "$T" cores_of_domid_3))" [ "$(kv "$T" cores_of_domid_3)" = 1 ]
check "no failure logged" sh -c '! cat "$1"/watch-*.log | grep -Eq "\"event\":\"(dump-failed|then-failed|dump-skipped)\""' _ "$DIR"
check "every log line is a JSON object" sh -c '! cat "$1"/watch-*.log | grep -v "^{\"time\":.*}$"' _ "$DIR"
check "xdump info reads a core" grep -q crash "$DIR/info.txt"
echo "TIME: watch: crash -> core $(kv "$T" crash_to_core_seconds_1) s, crash -> destroyed $(kv "$T" crash_to_destroyed_seconds_1) s"
finish
