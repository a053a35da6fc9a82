# Never a stuck guest: SIGKILL the dumper mid-dump and its guardian unpauses the domain and
# removes the unfinished file, also when the kill lands while the pause itself is being taken;
# a second dumper on the same domain is refused.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 1
  type pv
  memory 16M
  fault delay-ns 400000           # ~1.6 s to map 4096 frames
domain 2
  type pv
  memory 16M
  state paused                    # paused by someone else: must stay so
  fault delay-ns 400000
domain 3
  type pv
  memory 16M
  fault pause-ns 1500000000       # its pause takes 1.5 s to land (a vCPU slow to stop)
W
mkdir "$T/out"
say "SIGKILL mid-dump"
"$XSIM" run "$T/w" -- "$XDUMP" 1 "$T/out/d1.core" 2> "$T/kill.err" & pid=$!
for _ in $(seq 200); do [ "$(simstat w 1 frames_mapped)" -gt 200 ] && break; sleep 0.01; done
[ "$(simstat w 1 pause_count)" = 1 ] || fail "not paused while dumping"
kill -KILL $pid; wait $pid 2>/dev/null || true
for _ in $(seq 100); do [ "$(simstat w 1 pause_count)" = 0 ] && break; sleep 0.02; done
[ "$(simstat w 1 pause_count)" = 0 ] || fail "the guardian did not unpause"
grep -q "guardian: the dumper of domain 1 went away" "$T/kill.err" || { cat "$T/kill.err"; fail msg; }
[ -z "$(ls -A "$T/out")" ] || { ls -la "$T/out"; fail "the unfinished file is still there"; }

say "SIGKILL of a dumper of a domain paused by someone else: only xdump's own pause is undone"
"$XSIM" run "$T/w" -- "$XDUMP" 2 "$T/out/d2.core" 2> "$T/kill2.err" & pid=$!
for _ in $(seq 200); do [ "$(simstat w 2 frames_mapped)" -gt 200 ] && break; sleep 0.01; done
[ "$(simstat w 2 pause_count)" = 2 ] || fail "expected the other pause plus xdump's"
kill -KILL $pid; wait $pid 2>/dev/null || true
for _ in $(seq 100); do [ "$(simstat w 2 pause_count)" = 1 ] && break; sleep 0.02; done
sleep 0.2
[ "$(simstat w 2 pause_count)" = 1 ] || fail "pause count $(simstat w 2 pause_count), expected 1"

say "SIGKILL while the pause is landing: the pause is taken, the dumper gone before it hears so"
# The dumper's pause was its own call and the guardian's notice came after: a kill between the
# two left the guest paused for good (and a writer waiting on it hung CI). Now the guardian
# makes the call and knows it landed.
"$XSIM" run "$T/w" -- "$XDUMP" 3 "$T/out/d3.core" 2> "$T/kill3.err" & pid=$!
for _ in $(seq 300); do [ "$(simstat w 3 pause_count)" = 1 ] && break; sleep 0.01; done
[ "$(simstat w 3 pause_count)" = 1 ] || fail "dom3 never paused"
kill -KILL $pid; wait $pid 2>/dev/null || true
[ "$(simstat w 3 frames_mapped)" = 0 ] || fail "the kill came too late to test the pause's landing"
for _ in $(seq 200); do [ "$(simstat w 3 pause_count)" = 0 ] && break; sleep 0.02; done
[ "$(simstat w 3 pause_count)" = 0 ] || fail "left paused: a kill while the pause landed"
grep -q "guardian: the dumper of domain 3 went away holding its pause; the domain is unpaused" \
  "$T/kill3.err" || { cat "$T/kill3.err"; fail msg; }
[ "$(simstat w 3 unpause_calls)" = 1 ] || fail "unpaused $(simstat w 3 unpause_calls) times, not once"

say "one dumper per domain"
"$XSIM" run "$T/w" -- "$XDUMP" -q 1 "$T/out/first.core" & pid=$!
for _ in $(seq 200); do [ "$(simstat w 1 pause_count)" = 1 ] && break; sleep 0.01; done
expect_rc 12 sim w "$XDUMP" 1 "$T/out/second.core"
grep -q "being dumped by another xdump (pid" "$T/stderr" || { cat "$T/stderr"; fail msg; }
wait $pid || fail "the first dump failed"
[ -f "$T/out/first.core" ] && [ ! -e "$T/out/second.core" ] || fail "files"
[ "$(simstat w 1 pause_count)" = 0 ] || fail "left paused"
