#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# precopy.sh DIR SWEEPCHECK VMLINUX - host check of the precopy scenario (issue 20 on real Xen): the
# cores of a PVH guest whose writer (guest/sweep.c) swept 64 MiB of self-describing pages while
# xdump dumped it, judged by sweepcheck (tests/tools/sweepcheck.c) against the magic and page
# count the writer printed on its console in this run: the paused and the pre-copy cores are one
# moment of the writer, the --live core of the same writer is not; SIGKILLed pre-copy dumps
# left the guest running and log-dirty off; log-dirty turned off by someone else mid-dump was
# found at the pause and every page copied again (a core still one moment, saying so);
# someone else's log-dirty was refused (exit 13) and left on; the pre-copy cores' virtual
# segments, walked at the pause, are the kernel's (gdb with the guest's vmlinux reads its banner
# through them). Times: the paused dump, the pre-copy dump and its pause.
set -u
DIR=$1
SEQ=$2
VMLINUX=$3
SCEN=$(basename "$DIR")
. "$(dirname "$0")/lib.sh"
T=$DIR/times.txt
MAGIC=$(kv "$T" sweep_magic)
PAGES=$(kv "$T" sweep_pages)

check "dom0 scenario ended with rc 0" [ "$(cat "$DIR/rc" 2>/dev/null)" = 0 ]
check "the guest's writer started: magic ${MAGIC:-none}, ${PAGES:-no} pages" \
    sh -c 'case $1 in 0x[0-9a-f]*) [ "${2:-0}" -gt 1000 ] ;; *) false ;; esac' _ "$MAGIC" "$PAGES"

# judge NAME: sweepcheck's key=value of NAME.core into NAME.sweep; its rc.
judge() {
    if [ -f "$DIR/$1.core" ] && [ -n "$MAGIC" ] && [ -n "$PAGES" ]; then
        "$SEQ" "$DIR/$1.core" "$MAGIC" "$PAGES" >"$DIR/$1.sweep" 2>&1
        echo $?
    else
        echo "no $1.core, or no magic" >"$DIR/$1.sweep"
        echo 2
    fi
}
# said NAME: sweepcheck's summary of NAME.
said() {
    S=$DIR/$1.sweep
    echo "found $(kv "$S" found)/$PAGES, missing $(kv "$S" missing), duplicates $(kv "$S" duplicates), torn $(kv "$S" torn), in the middle of its write $(kv "$S" in_progress), breaks $(kv "$S" breaks), steps $(kv "$S" step_min)-$(kv "$S" step_max)"
}
for c in paused precopy precopy2; do
    check "$c: xdump$([ $c = paused ] || echo ' --precopy') dump: rc $(kv "$T" ${c}_rc) in $(kv "$T" ${c}_seconds) s" [ "$(kv "$T" ${c}_rc)" = 0 ]
    r=$(judge $c)
    check "$c.core is one moment of the writer: $(said $c)" [ "$r" = 0 ]
done
r=$(judge live)
check "live: xdump --live dump: rc $(kv "$T" live_rc) in $(kv "$T" live_seconds) s" [ "$(kv "$T" live_rc)" = 0 ]
check "live.core of the same writer is NOT one moment (sweepcheck can fail): $(said live)" \
    sh -c '[ "$1" = 1 ] && [ "$2" = "$3" ] && [ "${4:-0}" -gt 1 ]' _ "$r" \
    "$(kv "$DIR/live.sweep" found)" "$PAGES" "$(kv "$DIR/live.sweep" breaks)"
# The writer ran between the dumps: each later core holds later writes (the writer's position
# T = step * pages + index of the newest page in each).
pos() { kv "$DIR/$1.sweep" position_newest; }
check "the writer wrote between the dumps (newest position: paused $(pos paused) < pre-copy $(pos precopy) < live $(pos live) < pre-copy after the kills $(pos precopy2))" \
    sh -c '[ "${1:-0}" -lt "${2:-0}" ] && [ "${2:-0}" -lt "${3:-0}" ] && [ "${3:-0}" -lt "${4:-0}" ]' _ \
    "$(pos paused)" "$(pos precopy)" "$(pos live)" "$(pos precopy2)"
for c in precopy precopy2; do
    check "$c: xdump printed its pause ($(kv "$T" ${c}_rounds) rounds, paused $(kv "$T" ${c}_pause_ms) ms, final set $(kv "$T" ${c}_final_pages) pages)" \
        [ -n "$(kv "$T" ${c}_pause_ms)" ]
    check "$c: xdump info says pre-copy, the same rounds" sh -c \
        'grep -q "^taken: *pre-copy" "$1" && grep -q "^pre-copy: *$2 rounds, paused [0-9.]* ms" "$1"' _ \
        "$DIR/info-$c.txt" "$(kv "$T" ${c}_rounds)"
    again=$(sed -n 's/^pre-copy:.* \([0-9]*\) pages copied again.*/\1/p' "$DIR/info-$c.txt")
    check "$c: the guest wrote while it was copied: $again pages copied again" [ "${again:-0}" -gt 0 ]
done
# The virtual PT_LOADs of a pre-copy core come from the page tables at the pause, walked from
# the core itself (README, --precopy): gdb, given the guest kernel's vmlinux, reads linux_banner
# by its address in the kernel image map - through those segments only (the physical ones have
# p_vaddr 0) - and it must name the release the guest said on its console.
REL=$(sed -n 's/.*GUEST-READY \([^ ]*\) .*/\1/p' "$DIR/console.log" 2>/dev/null | head -1)
for c in precopy precopy2; do
    nv=$(readelf -lW "$DIR/$c.core" 2>/dev/null | grep -c 'LOAD *0x[0-9a-f]* 0xffff')
    check "$c: xdump info says the virtual segments ($nv kernel-half PT_LOADs) are the page tables at the pause" \
        grep -q "virtual segments: the page tables as they were at the pause" "$DIR/info-$c.txt"
    b=$(timeout 120 gdb -nx -batch -ex "file $VMLINUX" -ex "core-file $DIR/$c.core" -ex 'printf "%s", linux_banner' 2>/dev/null |
        grep -a '^Linux version' | head -1)
    check "$c: gdb with vmlinux reads linux_banner through them: ${b:-nothing} (the guest said ${REL:-?})" \
        sh -c '[ -n "$2" ] && case $1 in "Linux version $2 "*) true ;; *) false ;; esac' _ "$b" "$REL"
done
check "paused.core says paused by xdump" grep -q "^taken: *paused by xdump" "$DIR/info-paused.txt"
check "live.core says live" grep -q "^taken: *live" "$DIR/info-live.txt"
for k in state_before state_after_paused state_after_precopy state_after_live state_after_precopy2 state_end; do
    s=$(kv "$T" $k)
    check "$k: the guest runs ($s)" sh -c 'case $1 in ""|??p*) false ;; *) true ;; esac' _ "$s"
done

# SIGKILL in round 0 and after it.
for k in kill0 kill1; do
    at=$([ $k = kill0 ] && echo "in round 0" || echo "after round 0 (--precopy=1)")
    check "$k: xdump --precopy SIGKILLed $at (progress $(kv "$T" ${k}_progress_at)): rc $(kv "$T" ${k}_rc)" \
        [ "$(kv "$T" ${k}_rc)" = 137 ]
    check "$k: log-dirty was on (xdump's) when it was killed: another ENABLE got $(kv "$T" ${k}_ldctl_before)" \
        [ "$(kv "$T" ${k}_ldctl_before)" = EINVAL ]
    s=$(kv "$T" ${k}_state)
    check "$k: afterwards the guest runs, not paused ($s)" sh -c 'case $1 in ""|??p*) false ;; *) true ;; esac' _ "$s"
    check "$k: the guardian removed the unfinished file ($(kv "$T" ${k}_files_left) left)" [ "$(kv "$T" ${k}_files_left)" = 0 ]
done
check "after both kills log-dirty was off: the next --precopy dump succeeded (rc $(kv "$T" precopy2_rc), not 13)" \
    [ "$(kv "$T" precopy2_rc)" = 0 ]

# Log-dirty turned off by someone else in round 0: found at the pause, every page again.
check "offmid: another user turned log-dirty off in round 0 (progress $(kv "$T" offmid_progress_at); OFF: $(kv "$T" offmid_ldctl_off))" \
    [ "$(kv "$T" offmid_ldctl_off)" = 0 ]
check "offmid: xdump --precopy still made its core (rc $(kv "$T" offmid_rc))" [ "$(kv "$T" offmid_rc)" = 0 ]
check "offmid: xdump said the tracking was turned off and copied every page again" \
    grep -q "log-dirty mode was turned off by someone else.*copying every page again" "$DIR/offmid.out"
check "offmid: xdump info says so ($(kv "$T" offmid_final_pages) pages in a pause of $(kv "$T" offmid_pause_ms) ms)" \
    grep -q "log-dirty was turned off by someone else" "$DIR/info-offmid.txt"
r=$(judge offmid)
check "offmid.core is one moment of the writer all the same: $(said offmid)" [ "$r" = 0 ]
check "offmid: the writer's newest page is later than in the pre-copy core before ($(pos precopy2) < $(pos offmid))" \
    sh -c '[ "${1:-0}" -lt "${2:-0}" ]' _ "$(pos precopy2)" "$(pos offmid)"
s=$(kv "$T" state_after_offmid)
check "offmid: afterwards the guest runs ($s)" sh -c 'case $1 in ""|??p*) false ;; *) true ;; esac' _ "$s"

# Someone else's log-dirty.
check "another user turned log-dirty on (ldctl enable: $(kv "$T" stolen_ldctl_enable); 0: offmid's xdump had turned it off)" [ "$(kv "$T" stolen_ldctl_enable)" = 0 ]
check "xdump --precopy then exits 13 ($(kv "$T" stolen_rc)) with one line ($(kv "$T" stolen_stderr_lines)): $(head -1 "$DIR/stolen.err" 2>/dev/null)" \
    [ "$(kv "$T" stolen_rc)/$(kv "$T" stolen_stderr_lines)" = 13/1 ]
check "... and leaves no core ($(kv "$T" stolen_core_left))" [ "$(kv "$T" stolen_core_left)" = 0 ]
check "... and the other user's tracking still on (ENABLE: $(kv "$T" stolen_ldctl_after))" [ "$(kv "$T" stolen_ldctl_after)" = EINVAL ]
check "... which its user then turns off (OFF: $(kv "$T" stolen_ldctl_off))" [ "$(kv "$T" stolen_ldctl_off)" = 0 ]

P=$(kv "$T" paused_seconds)
C=$(kv "$T" precopy_seconds)
M=$(kv "$T" precopy_pause_ms)
RATIO=$(awk -v m="${M:-0}" -v p="${P:-0}" -v c="${C:-0}" 'BEGIN { if (p > 0) printf "pause %.1f%% of the paused dump, total %.2fx", m / 10 / p, c / p }')
echo "TIME: precopy (PVH $(kv "$T" sweep_pages) pages written at $(kv "$T" sweep_rate) MiB/s, $(sed -n 's/^xen: *//p' "$DIR/info-precopy.txt" 2>/dev/null | head -1)): paused dump ${P:-?} s; --precopy ${C:-?} s, $(kv "$T" precopy_rounds) rounds, paused ${M:-?} ms, final set $(kv "$T" precopy_final_pages) pages ($RATIO); after the kills: paused $(kv "$T" precopy2_pause_ms) ms; --live $(kv "$T" live_seconds) s"
finish
