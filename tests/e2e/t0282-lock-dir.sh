# Field truth (issue 14, defect 1): a dom0 without /run/lock (busybox init, a tmpfs /run, an
# initramfs, OpenRC). The lock keeps a second xdump out; it must never cost the dump. A missing
# lock directory is made (0755, as systemd-tmpfiles makes /run/lock); one that cannot be had
# (its parent missing, a read-only /run) gives one warning and the dump goes on. The crash hook
# dumps through the same lock. Judged by corecheck (the world's pages), not by exit codes alone.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 1
  memory 4M
domain 2
  name crashy
  memory 4M
W
say "the lock directory is missing: made 0755, the dump is whole"
export XDUMP_LOCK_DIR=$T/run/lock
mkdir -m 755 "$T/run"
(umask 077; sim w "$XDUMP" 1 "$T/a.core") 2> "$T/a.err" || { cat "$T/a.err"; fail "xdump with a missing lock directory"; }
[ -d "$XDUMP_LOCK_DIR" ] || fail "the lock directory was not made"
[ "$(stat -c %a "$XDUMP_LOCK_DIR")" = 755 ] || fail "the lock directory is $(stat -c %a "$XDUMP_LOCK_DIR"), not 755"
grep -q warning "$T/a.err" && fail "a warning where the lock directory could be made: $(cat "$T/a.err")"
check w 1 "$T/a.core"; expect xen.pages_ok 1024; expect xen.pages_bad 0

say "its parent is missing too (no /run): one warning, the dump is whole"
export XDUMP_LOCK_DIR=$T/norun/lock
sim w "$XDUMP" 1 "$T/b.core" 2> "$T/b.err" || { cat "$T/b.err"; fail "xdump without /run"; }
[ "$(grep -c 'warning: cannot open the lock' "$T/b.err")" = 1 ] || { cat "$T/b.err"; fail "expected one warning"; }
[ ! -e "$T/norun" ] || fail "xdump made $T/norun: only the lock directory itself is made"
check w 1 "$T/b.core"; expect xen.pages_ok 1024; expect xen.pages_bad 0

say "a read-only /run: one warning, the dump is whole"
# A file where the directory should be stands for any /run that cannot hold the lock (as root,
# a chmod would not stop xdump): ENOTDIR.
touch "$T/rofile"
export XDUMP_LOCK_DIR=$T/rofile/lock
sim w "$XDUMP" 1 "$T/c.core" 2> "$T/c.err" || { cat "$T/c.err"; fail "xdump with an unusable /run"; }
[ "$(grep -c 'warning: cannot open the lock' "$T/c.err")" = 1 ] || { cat "$T/c.err"; fail "expected one warning"; }
check w 1 "$T/c.core"; expect xen.pages_ok 1024

say "the lock still keeps a second xdump out where it can be had"
export XDUMP_LOCK_DIR=$T/run/lock
flock "$XDUMP_LOCK_DIR/xdump-dom1.lock" sleep 3 & BG_PIDS+=($!)
sleep 0.2
expect_rc 12 sim w "$XDUMP" 1 "$T/d.core"
grep -q "being dumped by another xdump" "$T/stderr" || { cat "$T/stderr"; fail "busy message"; }

say "xdump watch in a dom0 without /run/lock: the crash is dumped"
export XDUMP_LOCK_DIR=$T/run2/lock
mkdir "$T/run2"
xenstored_start w
watch_start w "$T/watch.log" --dir "$T/dumps" --state "$T/run2/xdump/state" --then preserve --xl none
wait_log "$T/watch.log" '^xdump watch: started'
"$XSIM" set "$T/w" 2 state=crashed
wait_log "$T/watch.log" 'dump-done: crashy \(domain 2\)'
watch_stop
[ -s "$T/run2/xdump/state" ] || fail "the state file's directory was not made"
core=$(ls "$T"/dumps/*crashy*.core | head -n 1)
check w 2 "$core"; expect xen.pages_ok 1024; expect xen.pages_bad 0
