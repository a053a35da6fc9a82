# xdump --precopy and an HVM guest's device model (`xensim qemu`: QEMU 7.2's QMP monitor and
# global dirty log, and a DMA writer whose writes Xen's log-dirty does not see and which are
# reported by XEN_DMOP_modified_memory only while that log is on). With QEMU told
# (xen-set-global-dirty-log), the core is one moment of both the vCPU's and the DMA's
# sequences (tests/tools/seqcheck); with QEMU refusing, the DMA's sequence is not (the checker
# can fail) and xdump says so; absent and wedged QEMUs are said, in bounded time; QEMU's dirty
# log is turned off only by whoever turned it on (QEMU 7.2 aborts on an "off" while off:
# qmp_aborts), by the guardian too when xdump is SIGKILLed; PVH and paused dumps do not talk
# to QEMU.
. "$(dirname "$0")/lib.sh"
SEQ=$BUILD/tests/seqcheck
world w <<'W'
domain 5
  type hvm
  memory 192M
domain 7
  type pvh
  memory 32M
domain 8
  type hvm
  memory 16M
  fault delay-ns 400000
W
QPIDS=()
# qemu DOMID MODE [PFN PAGES MIBS]: the device model of DOMID, its DMA writing when asked.
qemu() {
  rm -f "$T/w/qemu.listening" "$T/w/qemu.ready"
  "$XSIM" qemu "$T/w" "$@" & QPID=$!; BG_PIDS+=("$QPID")
  local ready=qemu.listening; [ $# -gt 2 ] && ready=qemu.ready
  for _ in $(seq 200); do [ -e "$T/w/$ready" ] && return 0; sleep 0.05; done
  fail "the device model of dom$1 did not start"
}
qemu_stop() { kill "$QPID" 2> /dev/null || true; wait "$QPID" 2> /dev/null || true; }
st() { simstat w "$1" "$2"; }
# qmp_hand DOMID CMD: another QMP client (an operator) sends CMD to the domain's QEMU.
qmp_hand() {
  "$XSIM" run "$T/w" -- python3 - "$T/w/run/xen/qmp-libxl-$1" "$2" <<'PY' || fail "QMP $2 by hand"
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile('rw')
f.readline()
for cmd in ('qmp_capabilities', sys.argv[2]):
    f.write(json.dumps({'execute': cmd}) + '\n'); f.flush(); r = json.loads(f.readline())
    assert 'return' in r, r
PY
}
# untouched DOMID: running, log-dirty off, QEMU's dirty log off, QEMU never aborted.
untouched() {
  [ "$(st "$1" pause_count)" = 0 ] || fail "dom$1 left paused"
  [ "$(st "$1" logdirty)" = 0 ] || fail "dom$1 left in log-dirty mode"
  [ "$(st "$1" qmp_dirty)" = 0 ] || fail "dom$1: QEMU's dirty log left on"
  [ "$(st "$1" qmp_aborts)" = 0 ] || fail "dom$1: QEMU was told 'off' while off (it aborts)"
  [ "$(st "$1" qmp_stopped)" = 0 ] || fail "dom$1: QEMU left stopped"
}

say "HVM, vCPU writing at 20 MiB/s and QEMU's DMA at 50 MiB/s: one moment of both"
qemu 5 ok 0x4000 4096 50
writer w 5 8192 20
sim w "$XDUMP" --precopy 5 "$T/t.core" 2> "$T/t.err" || { cat "$T/t.err"; fail "precopy"; }
writer_stop
out=$("$SEQ" "$T/t.core" 0x100) || fail "the vCPU's sequence: $out"
out=$("$SEQ" "$T/t.core" 0x4000) || fail "the DMA's sequence: $out"
[ "$(st 5 qmp_dirty_on)" = 1 ] && [ "$(st 5 qmp_dirty_off)" = 1 ] || fail "QEMU's dirty log not on then off once"
[ "$(st 5 dma_reported)" -gt 0 ] || fail "no DMA was reported during the dump"
! grep -q "device model" "$T/t.err" || { cat "$T/t.err"; fail "a warning about the device model"; }
"$XDUMP" info "$T/t.core" | grep -q "device model: tracked" || fail "info: not tracked"
"$XDUMP" info --json "$T/t.core" > "$T/t.json"
[ "$(jfield "$T/t.json" precopy.device_model)" = tracked ] || fail "json: device_model"
untouched 5
say "... a paused dump does not talk to QEMU"
c=$(st 5 qmp_clients)
sim w "$XDUMP" 5 "$T/p.core" 2> /dev/null || fail "paused dump"
[ "$(st 5 qmp_clients)" = "$c" ] || fail "a paused dump connected to QEMU"
qemu_stop

say "QEMU refusing the command: said, marked; its DMA's sequence is not one moment"
qemu 5 refuse 0x4000 4096 100
sim w "$XDUMP" --precopy 5 "$T/r.core" 2> "$T/r.err" || { cat "$T/r.err"; fail "precopy, refused"; }
grep -q "^xdump: warning: domain 5: its device model refused xen-set-global-dirty-log (/var/run/xen/qmp-libxl-5): .*not tracked" "$T/r.err" ||
  { cat "$T/r.err"; fail "the refusal not said"; }
expect_rc 1 "$SEQ" "$T/r.core" 0x4000
"$XDUMP" info "$T/r.core" | grep -q "device model: NOT tracked" || fail "info: not marked untracked"
"$XDUMP" info --json "$T/r.core" > "$T/r.json"
[ "$(jfield "$T/r.json" precopy.device_model)" = untracked ] || fail "json: untracked"
[ "$(st 5 qmp_dirty_off)" = 1 ] || fail "an 'off' was sent to a QEMU that was never turned on"
untouched 5
qemu_stop

say "no QEMU listening (its socket left behind), then no socket at all: said"
sim w "$XDUMP" --precopy 5 "$T/s.core" 2> "$T/s.err" || { cat "$T/s.err"; fail "precopy, stale socket"; }
grep -q "no device model listens on its QMP socket" "$T/s.err" || { cat "$T/s.err"; fail "not said"; }
rm -f "$T/w/run/xen/qmp-libxl-5"
sim w "$XDUMP" --precopy 5 "$T/n.core" 2> "$T/n.err" || { cat "$T/n.err"; fail "precopy, no socket"; }
grep -q "no device model's QMP socket" "$T/n.err" || { cat "$T/n.err"; fail "not said"; }
"$XDUMP" info "$T/n.core" | grep -q "device model: NOT tracked" || fail "info: not marked"
untouched 5

say "a QEMU that never answers: bounded time, said"
qemu 5 mute
t0=$(date +%s.%N)
sim w "$XDUMP" --precopy 5 "$T/m.core" 2> "$T/m.err" || { cat "$T/m.err"; fail "precopy, mute"; }
el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
grep -q "its device model did not answer in 5 s" "$T/m.err" || { cat "$T/m.err"; fail "not said"; }
awk -v e="$el" 'BEGIN { exit !(e < 15) }' || fail "a mute QEMU held the dump $el s"
say "   (the dump took $el s)"
[ "$(st 5 qmp_dirty_on)" = 1 ] || fail "a mute QEMU was turned on"
untouched 5
say "... its backlog full (two clients waiting): said at once"
python3 -c 'import socket, sys, time
s = [socket.socket(socket.AF_UNIX) for _ in range(2)]
for x in s: x.connect(sys.argv[1])
open(sys.argv[2], "w").close(); time.sleep(60)' "$T/w/run/xen/qmp-libxl-5" "$T/held" & HPID=$!; BG_PIDS+=("$HPID")
for _ in $(seq 100); do [ -e "$T/held" ] && break; sleep 0.05; done
sim w "$XDUMP" --precopy 5 "$T/b.core" 2> "$T/b.err" || { cat "$T/b.err"; fail "precopy, busy"; }
grep -q "its device model's monitor is busy" "$T/b.err" || { cat "$T/b.err"; fail "not said"; }
kill $HPID; wait $HPID 2> /dev/null || true
untouched 5
qemu_stop

say "a QEMU that acts but never answers: said; never told 'off' (it might have been off)"
qemu 5 noreply
sim w "$XDUMP" --precopy 5 "$T/q.core" 2> "$T/q.err" || { cat "$T/q.err"; fail "precopy, noreply"; }
grep -q "did not answer the command in 5 s (it may be on now" "$T/q.err" || { cat "$T/q.err"; fail "not said"; }
"$XDUMP" info "$T/q.core" | grep -q "device model: NOT tracked" || fail "info: not marked"
[ "$(st 5 qmp_dirty_off)" = 1 ] && [ "$(st 5 qmp_aborts)" = 0 ] || fail "an 'off' after an unanswered 'on'"
qemu_stop

say "PVH: no device model, nothing said, nothing marked"
sim w "$XDUMP" --precopy 7 "$T/h.core" 2> "$T/h.err" || { cat "$T/h.err"; fail "pvh"; }
! grep -q "device model" "$T/h.err" || { cat "$T/h.err"; fail "pvh: a device-model warning"; }
"$XDUMP" info --json "$T/h.core" > "$T/h.json"
[ "$(jfield "$T/h.json" precopy.device_model)" = null ] || fail "pvh: json device_model not null"

say "SIGKILL in round 0 and after it: the guardian turns QEMU's dirty log off too"
offs=0
for p in round0 later; do
  case $p in
    round0) cond='[ "$(st 8 frames_mapped)" -gt 300 ] && [ "$(st 8 ld_clean_calls)" = 0 ]' ;;
    later) cond='[ "$(st 8 ld_clean_calls)" -ge 1 ]' ;; # a later round or the final pause
  esac
  qemu 8 ok 0x800 1024 5
  "$XSIM" run "$T/w" -- "$XDUMP" --precopy 8 "$T/k$p.core" 2> "$T/k$p.err" & DPID=$!
  BG_PIDS+=("$DPID")
  for _ in $(seq 600); do eval "$cond" && break; sleep 0.01; done
  eval "$cond" || { cat "$T/k$p.err"; fail "$p: the dump never reached the phase"; }
  [ "$(st 8 qmp_dirty)" = 1 ] || fail "$p: QEMU's dirty log not on during the dump"
  kill -KILL $DPID; wait $DPID 2> /dev/null || true
  for _ in $(seq 300); do
    [ "$(st 8 qmp_dirty)" = 0 ] && [ "$(st 8 logdirty)" = 0 ] && break; sleep 0.02
  done
  untouched 8
  offs=$((offs + 1))
  [ "$(st 8 qmp_dirty_off)" = $offs ] || fail "$p: QEMU's dirty log not turned off once"
  grep -q "guardian: .*QEMU's dirty log is off" "$T/k$p.err" || { cat "$T/k$p.err"; fail "$p: the guardian said nothing"; }
  qemu_stop
done

say "a slow device (QEMU's DMA at 1 MiB/s, requests in flight completing after Xen's pause):"
say "... QEMU is stopped in the final pause, so no DMA lands after the FINAL clean"
# xensim's device completes up to 8 requests in flight while Xen holds the domain paused (Xen's
# pause does not stop QEMU), at its pace: at 1 MiB/s they span ~30 ms, past the FINAL clean
# unless QEMU is stopped (QMP stop drains them first: qemu 7.2 softmmu/cpus.c l.254-273).
stops=$(st 5 qmp_stops) conts=$(st 5 qmp_conts) late=$(st 5 dma_after_final)
qemu 5 ok 0x4000 4096 1
writer w 5 8192 20
sim w "$XDUMP" --precopy 5 "$T/slow.core" 2> "$T/slow.err" || { cat "$T/slow.err"; fail "precopy, slow device"; }
writer_stop
[ "$(st 5 qmp_stops)" = $((stops + 1)) ] && [ "$(st 5 qmp_conts)" = $((conts + 1)) ] ||
  fail "QEMU not stopped and continued once in the pause ($(st 5 qmp_stops) stops, $(st 5 qmp_conts) conts)"
[ "$(st 5 dma_after_final)" = "$late" ] || fail "$(($(st 5 dma_after_final) - late)) DMA pages landed after the FINAL clean"
out=$("$SEQ" "$T/slow.core" 0x4000) || fail "the slow device's sequence: $out"
out=$("$SEQ" "$T/slow.core" 0x100) || fail "the vCPU's sequence: $out"
"$XDUMP" info "$T/slow.core" | grep -q "device model: tracked" || fail "info: not tracked"
untouched 5

say "... QEMU stopped by someone else is left stopped, and the core says DMA is not covered"
qmp_hand 5 stop
[ "$(st 5 qmp_stopped)" = 1 ] || fail "the hand's stop did not stop QEMU"
sim w "$XDUMP" --precopy 5 "$T/o.core" 2> "$T/o.err" || { cat "$T/o.err"; fail "precopy, QEMU stopped by another"; }
grep -q "its device model was not running (stopped by someone else: left so)" "$T/o.err" ||
  { cat "$T/o.err"; fail "no warning for a QEMU stopped by another"; }
[ "$(st 5 qmp_stopped)" = 1 ] || fail "xdump continued a QEMU someone else had stopped"
"$XDUMP" info "$T/o.core" | grep -q "device model: NOT tracked" || fail "info: tracked, QEMU not stopped by xdump"
qmp_hand 5 cont
untouched 5
qemu_stop

say "SIGKILL while QEMU is stopped in the pause: the guardian continues it before the unpause"
qemu 8 ok 0x800 1024 5
writer w 8 2048 200
"$XSIM" run "$T/w" -- "$XDUMP" --precopy 8 "$T/ks.core" 2> "$T/ks.err" & DPID=$!
BG_PIDS+=("$DPID")
for _ in $(seq 3000); do [ "$(st 8 qmp_stopped)" = 1 ] && break; sleep 0.005; done
[ "$(st 8 qmp_stopped)" = 1 ] || { cat "$T/ks.err"; fail "QEMU never stopped in the pause"; }
kill -KILL $DPID; wait $DPID 2> /dev/null || true
writer_stop
for _ in $(seq 300); do
  [ "$(st 8 qmp_stopped)" = 0 ] && [ "$(st 8 pause_count)" = 0 ] && [ "$(st 8 qmp_dirty)" = 0 ] && break; sleep 0.02
done
untouched 8
grep -q "guardian: .*device model stopped; QEMU continues" "$T/ks.err" || { cat "$T/ks.err"; fail "the guardian did not say it continued QEMU"; }
qemu_stop
echo ok
