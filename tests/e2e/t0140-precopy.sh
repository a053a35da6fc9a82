# xdump --precopy against a guest that writes while it is dumped (`xensim write`, judged by
# tests/tools/seqcheck, which reads only Xen's index and the guest's own sequence pages): every
# pre-copy core is one moment of the guest, a --live core of the same writer is not; log-dirty
# that is someone else's is refused and never touched; PV without shadow paging is refused, or
# dumped paused with --precopy=auto; tracking turned off by someone else mid-dump makes xdump
# copy everything again paused; SIGKILL in round 0, a later round and the final pause leaves the
# guest running and log-dirty off (xensim's counters, as Xen's paging.c keeps them).
. "$(dirname "$0")/lib.sh"
SEQ=$BUILD/tests/seqcheck
LDCTL=$BUILD/tests/ldctl
world w <<'W'
domain 5
  type hvm
  memory 192M
domain 6
  type pv
  memory 64M
domain 7
  type pvh
  memory 32M
  pci-passthrough
domain 8
  type hvm
  memory 16M
  fault delay-ns 400000
W
# untouched WORLD DOMID: running, not paused, log-dirty off.
untouched() {
  [ "$(simstat "$1" "$2" pause_count)" = 0 ] || fail "dom$2 left paused"
  [ "$(simstat "$1" "$2" logdirty)" = 0 ] || fail "dom$2 left in log-dirty mode"
}
for rate in 0 20 200; do
  say "HVM, the guest writing 32 MiB at $rate MiB/s: the pre-copy core is one moment"
  writer w 5 8192 $rate
  sim w "$XDUMP" --precopy 5 "$T/p$rate.core" 2> "$T/p$rate.err" || { cat "$T/p$rate.err"; fail "precopy"; }
  out=$("$SEQ" "$T/p$rate.core") || fail "pre-copy core at $rate MiB/s: $out"
  [ "$(simstat w 5 writer_pages)" -gt 8193 ] || [ $rate = 0 ] || fail "the writer wrote nothing during the dump"
  grep -q "^xdump: pre-copy: [0-9]* rounds, paused [0-9.]* ms, final set [0-9]* pages" "$T/p$rate.err" ||
    { cat "$T/p$rate.err"; fail "no pre-copy line"; }
  untouched w 5
  [ "$(simstat w 5 ld_on_pid)" = "$(simstat w 5 ld_off_pid)" ] || fail "log-dirty not turned off by who turned it on"
  "$XDUMP" info "$T/p$rate.core" > "$T/p$rate.info" || fail "info"
  grep -q "^taken: *pre-copy" "$T/p$rate.info" || { cat "$T/p$rate.info"; fail "info: not a pre-copy core"; }
  grep -q "^pre-copy: *[0-9]* rounds, paused [0-9.]* ms, final set [0-9]* pages" "$T/p$rate.info" ||
    { cat "$T/p$rate.info"; fail "info: no pre-copy line"; }
  "$XDUMP" info --json "$T/p$rate.core" > "$T/p$rate.json" || fail "info --json"
  [ "$(jfield "$T/p$rate.json" taken.precopy)" = true ] || fail "json: taken.precopy"
  r=$(jfield "$T/p$rate.json" precopy.rounds)
  [ "$r" -le 8 ] || fail "$r rounds, more than XDUMP_PRECOPY_ROUNDS"
  # what the dump said, the note says
  grep -q "pre-copy: $r rounds" "$T/p$rate.err" || fail "the note's rounds ($r) are not the dump's"
  if [ $rate = 200 ]; then
    say "the same writer, --live: not one moment (the checker can fail)"
    sim w "$XDUMP" --live 5 "$T/l$rate.core" 2> /dev/null || fail "live"
    expect_rc 1 "$SEQ" "$T/l$rate.core"
  fi
  writer_stop
done

say "a paused core is not marked pre-copy"
sim w "$XDUMP" 5 "$T/plain.core" 2> /dev/null || fail "plain dump"
"$XDUMP" info "$T/plain.core" | grep -q "^taken: *paused by xdump" || fail "plain: taken"
! "$XDUMP" info "$T/plain.core" | grep -q "^pre-copy:" || fail "plain: a pre-copy line"

say "a guest writing faster than it is copied: not converging, a bounded pause, still one moment"
writer w 5 16384 4000
sim w "$XDUMP" --precopy=1 5 "$T/nc.core" 2> "$T/nc.err" || { cat "$T/nc.err"; fail "precopy nc"; }
writer_stop
out=$("$SEQ" "$T/nc.core") || fail "not-converging core: $out"
grep -q "not converging\|writes faster than it is copied" "$T/nc.err" || { cat "$T/nc.err"; fail "not said"; }
"$XDUMP" info --json "$T/nc.core" > "$T/nc.json"
[ "$(jfield "$T/nc.json" precopy.not_converging)" = true ] ||
  [ "$(jfield "$T/nc.json" precopy.round_limit)" = true ] || fail "json: neither not_converging nor round_limit"
fin=$(jfield "$T/nc.json" precopy.final_pages)
[ "$fin" -le $((192 * 256)) ] || fail "final set $fin larger than the guest"
untouched w 5

say "log-dirty already on (a migration): exit 13, one line, left on and untouched"
sim w "$LDCTL" 5 enable > /dev/null || fail "ldctl enable"
owner=$(simstat w 5 ld_on_pid); offs=$(simstat w 5 ld_off_while_on); cleans=$(simstat w 5 ld_clean_calls)
expect_rc 13 sim w "$XDUMP" --precopy 5 "$T/t.core"
[ "$(wc -l < "$T/stderr")" = 1 ] || { cat "$T/stderr"; fail "not one line"; }
[ ! -e "$T/t.core" ] || fail "a core was left"
[ "$(simstat w 5 logdirty)" = 1 ] && [ "$(simstat w 5 ld_on_pid)" = "$owner" ] &&
  [ "$(simstat w 5 ld_off_while_on)" = "$offs" ] && [ "$(simstat w 5 ld_clean_calls)" = "$cleans" ] ||
  fail "someone else's log-dirty was touched"
say "... --precopy=auto: a paused dump instead, the tracking still untouched"
sim w "$XDUMP" --precopy=auto 5 "$T/ta.core" 2> "$T/ta.err" || { cat "$T/ta.err"; fail "auto"; }
grep -q "paused instead" "$T/ta.err" || fail "auto: no warning"
"$XDUMP" info "$T/ta.core" | grep -q "^taken: *paused by xdump" || fail "auto: not a paused core"
[ "$(simstat w 5 logdirty)" = 1 ] && [ "$(simstat w 5 ld_clean_calls)" = "$cleans" ] || fail "auto touched it"
sim w "$LDCTL" 5 off > /dev/null
untouched w 5

say "PV on a Xen without shadow paging: exit 14; --precopy=auto dumps it paused, consistent"
writer w 6 4096 50
expect_rc 14 sim w "$XDUMP" --precopy 6 "$T/pv.core"
[ "$(wc -l < "$T/stderr")" = 1 ] || { cat "$T/stderr"; fail "not one line"; }
sim w "$XDUMP" --precopy=auto,20 6 "$T/pva.core" 2> "$T/pva.err" || { cat "$T/pva.err"; fail "pv auto"; }
grep -q "shadow paging.*paused instead" "$T/pva.err" || { cat "$T/pva.err"; fail "pv auto: the reason"; }
out=$("$SEQ" "$T/pva.core") || fail "pv auto core: $out"
writer_stop
untouched w 6
say "PCI pass-through: exit 13 (Xen answers EINVAL, paging.c l.220-227)"
expect_rc 13 sim w "$XDUMP" --precopy 7 "$T/pt.core"
untouched w 7
say "--precopy wants a file: a pipe is refused before log-dirty is touched"
calls=$(simstat w 5 ld_enable_calls)
expect_rc 2 sim w "$XDUMP" --precopy 5 -
[ "$(simstat w 5 ld_enable_calls)" = "$calls" ] || fail "log-dirty touched for a refused pipe"
expect_rc 2 sim w "$XDUMP" --precopy=0 5 "$T/z.core"
expect_rc 2 sim w "$XDUMP" --precopy=autox 5 "$T/z.core"

say "PV with shadow paging: tracked, one moment"
world s <<'W'
shadow-paging on
domain 6
  type pv
  memory 64M
W
writer s 6 4096 50
sim s "$XDUMP" --precopy 6 "$T/spv.core" 2> "$T/spv.err" || { cat "$T/spv.err"; fail "pv precopy"; }
out=$("$SEQ" "$T/spv.core") || fail "pv pre-copy core: $out"
"$XDUMP" info "$T/spv.core" | grep -q "^taken: *pre-copy" || fail "pv: not marked pre-copy"
writer_stop
untouched s 6

# The slow domain (0.4 ms per frame mapped: a 16 MiB round 0 takes ~1.6 s) for the phases.
# phase NAME COND: dumps dom8 under the writer, waits until COND (a shell test on simstat)
# holds, then runs $ACTION on the dumper; the dump's stderr in $T/NAME.err, its pid DPID.
phase() {
  local name=$1 cond=$2
  writer w 8 2048 20
  "$XSIM" run "$T/w" -- "$XDUMP" --precopy 8 "$T/$name.core" 2> "$T/$name.err" & DPID=$!
  BG_PIDS+=("$DPID")
  for _ in $(seq 600); do eval "$cond" && break; sleep 0.01; done
  eval "$cond" || { cat "$T/$name.err"; fail "$name: the dump never reached the phase"; }
}
st() { simstat w 8 "$1"; }
offs=$(st ld_off_while_on)
for p in round0 later final; do
  case $p in
    round0) cond='[ "$(st frames_mapped)" -gt 300 ] && [ "$(st ld_clean_calls)" = 0 ]' ;;
    later) cond='[ "$(st ld_clean_calls)" -ge 1 ] && [ "$(st pause_count)" = 0 ]' ;;
    final) cond='[ "$(st pause_count)" = 1 ] && [ "$(st logdirty)" = 1 ]' ;;
  esac
  say "SIGKILL in $p: the guardian turns log-dirty off and unpauses"
  phase kill-$p "$cond"
  kill -KILL $DPID; wait $DPID 2> /dev/null || true
  for _ in $(seq 200); do
    [ "$(st logdirty)" = 0 ] && [ "$(st pause_count)" = 0 ] && break; sleep 0.02
  done
  writer_stop
  untouched w 8
  [ "$(st ld_off_while_on)" = $((offs + 1)) ] || fail "$p: log-dirty not turned off once"
  offs=$(st ld_off_while_on)
  grep -q "guardian" "$T/kill-$p.err" || { cat "$T/kill-$p.err"; fail "$p: the guardian said nothing"; }
  [ -z "$(find "$T" -maxdepth 1 -name "kill-$p.core*")" ] || fail "$p: a core (or its temporary) was left"
done
say "... and the next pre-copy dump succeeds"
writer w 8 2048 20
sim w "$XDUMP" --precopy 8 "$T/after.core" 2> /dev/null || fail "dump after the kills"
out=$("$SEQ" "$T/after.core") || fail "after: $out"
writer_stop
untouched w 8

say "log-dirty turned off by someone else mid-dump: every page again, paused; still one moment"
phase stolen '[ "$(st ld_clean_calls)" -ge 1 ] && [ "$(st pause_count)" = 0 ]'
sim w "$LDCTL" 8 off > /dev/null || fail "ldctl off"
wait $DPID || { cat "$T/stolen.err"; fail "the dump failed after the theft"; }
writer_stop
grep -q "turned off by someone else" "$T/stolen.err" || { cat "$T/stolen.err"; fail "not said"; }
out=$("$SEQ" "$T/stolen.core") || fail "stolen core: $out"
"$XDUMP" info --json "$T/stolen.core" > "$T/stolen.json"
[ "$(jfield "$T/stolen.json" precopy.tracking_lost)" = true ] || fail "json: tracking_lost"
[ "$(jfield "$T/stolen.json" precopy.final_pages)" -ge 4000 ] || fail "not every page copied again paused"
untouched w 8
echo ok
