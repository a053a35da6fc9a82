# The domain is paused during the dump and its pause count is back where it was afterwards:
# after success, after each failure, and for domains found paused or crashed.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 1
  type pv
  memory 16M
  fault delay-ns 300000           # ~1.2 s to map 4096 frames
domain 2
  type pv
  memory 16M
  state paused
domain 3
  type hvm
  memory 16M
  state crashed
domain 4
  type pv
  memory 16M
  fault die-after 1500
domain 5
  type pv
  memory 16M
  p2m_size 0x2000000000           # 2^37 pfns: a p2m no guest can have
domain 6
  type pv
  memory 16M
  fault delay-ns 300000
domain 7
  type hvm
  ram 0x0 0xff
  ram 0xfffffff00 0xfffffffff     # a 1 TiB+ gfn span: 256k getpageframeinfo3 calls to list
W
say "paused while it runs"
sim w "$XDUMP" 1 "$T/d1.core" & pid=$!
seen=0
for _ in $(seq 100); do
  [ "$(simstat w 1 pause_count)" = 1 ] && { seen=1; break; }
  sleep 0.02
done
wait $pid || fail "xdump dom1"
[ $seen = 1 ] || fail "never saw the domain paused"
[ "$(simstat w 1 pause_count)" = 0 ] || fail "left paused"

say "--live does not pause"
sim w "$XDUMP" --live 2 "$T/live.core" || fail live
[ "$(simstat w 2 pause_calls)" = 0 ] || fail "--live paused"

say "found paused: stays paused; found crashed: stays crashed"
sim w "$XDUMP" 2 "$T/d2.core" || fail "dom2"
[ "$(simstat w 2 pause_count)" = 1 ] || fail "dom2 should still be paused"
sim w "$XDUMP" 3 "$T/d3.core" || fail "dom3"
[ "$(simstat w 3 pause_count)" = 0 ] && [ "$(simstat w 3 life)" = shutdown ] || fail "dom3 state"
"$XDUMP" info "$T/d3.core" | grep -q crash || fail "info should say crashed"

say "failures: output exists, domain dies, p2m unusable, a signal"
: > "$T/exists.core"
expect_rc 5 sim w "$XDUMP" 1 "$T/exists.core"
[ "$(simstat w 1 pause_count)" = 0 ] || fail "left paused (exists)"
expect_rc 6 sim w "$XDUMP" 4 "$T/d4.core"
grep -q "died during the dump" "$T/stderr" || fail "message for a death"
[ ! -e "$T/d4.core" ] || fail "a core was left for a dead domain"
expect_rc 9 sim w "$XDUMP" 5 "$T/d5.core"
[ "$(simstat w 5 pause_count)" = 0 ] || fail "left paused (bad p2m)"
[ ! -e "$T/d5.core" ] || fail "a core was left"
"$XSIM" run "$T/w" -- "$XDUMP" 6 "$T/d6.core" 2> "$T/sig.err" & pid=$!  # exec: $! is xdump
for _ in $(seq 100); do [ "$(simstat w 6 frames_mapped)" -gt 100 ] && break; sleep 0.02; done
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
[ $rc = 10 ] || { cat "$T/sig.err"; fail "SIGTERM: exit $rc, expected 10"; }
[ "$(simstat w 6 pause_count)" = 0 ] || fail "left paused (signal)"
[ -z "$(ls -A "$T" | grep -E '^\.d6|d6\.core')" ] || fail "files left after the signal"
[ $(wc -l < "$T/sig.err") = 1 ] || fail "one line, not $(cat "$T/sig.err")"

say "a signal during the HVM gfn scan stops it too (the guest paused meanwhile)"
"$XSIM" run "$T/w" -- "$XDUMP" 7 "$T/d7.core" 2> "$T/sig7.err" & pid=$!
for _ in $(seq 250); do [ "$(simstat w 7 pfinfo_calls)" -gt 50 ] && break; sleep 0.02; done
[ "$(simstat w 7 pause_count)" = 1 ] || fail "dom7 not paused during the scan"
kill -TERM $pid
for _ in $(seq 500); do kill -0 $pid 2>/dev/null || break; sleep 0.02; done
if kill -0 $pid 2>/dev/null; then
  kill -KILL $pid; fail "SIGTERM ignored during the gfn scan ($(simstat w 7 pfinfo_calls) calls made)"
fi
set +e; wait $pid; rc=$?; set -e
[ $rc = 10 ] || { cat "$T/sig7.err"; fail "SIGTERM in the scan: exit $rc, expected 10"; }
[ "$(simstat w 7 pause_count)" = 0 ] || fail "left paused (signal in the scan)"
[ -z "$(ls -A "$T" | grep -E '^\.d7|d7\.core')" ] || fail "files left after the signal in the scan"
[ $(wc -l < "$T/sig7.err") = 1 ] && grep -q "listing the guest's frames" "$T/sig7.err" ||
  fail "one line naming the scan, not $(cat "$T/sig7.err")"
