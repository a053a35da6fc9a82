# xdump --precopy against a real QEMU's QMP monitor (Debian's qemu-system-x86 7.2, no guest:
# -machine none), at the socket libxl gives an HVM guest's QEMU: what xensim's imitation of
# QEMU answers, the real one must answer too. A second monitor of that QEMU is the witness: it
# must see QEMU stopped once and resumed once during the dump (QMP events STOP, RESUME), and
# QEMU running after it; a QEMU an operator stopped is left stopped.
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 > /dev/null || fail "qemu-system-x86_64 missing (make deps installs qemu-system-x86)"
world w <<'W'
domain 5
  type hvm
  memory 16M
W
mkdir -p "$T/w/run/xen" # xensim.so redirects /var/run/xen/ here (tests/xensim/README.md)
qemu-system-x86_64 -machine none -nodefaults -display none \
  -qmp unix:"$T/w/run/xen/qmp-libxl-5",server=on,wait=off \
  -qmp unix:"$T/witness",server=on,wait=off > "$T/qemu.log" 2>&1 & QPID=$!; BG_PIDS+=("$QPID")
for _ in $(seq 100); do [ -S "$T/witness" ] && [ -S "$T/w/run/xen/qmp-libxl-5" ] && break; sleep 0.05; done
[ -S "$T/witness" ] || fail "QEMU did not start: $(cat "$T/qemu.log")"
# qmp SOCKET CMD...: each command's answer, one line each (events skipped). Asked on the
# socket xdump uses, between dumps: the witness holds the other (a monitor serves one client).
qmp() {
  python3 - "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile('rw')
f.readline()
for cmd in ['qmp_capabilities'] + sys.argv[2:]:
    f.write(json.dumps({'execute': cmd}) + '\n'); f.flush()
    while True:
        r = json.loads(f.readline())
        if 'event' not in r:
            break
    if cmd != 'qmp_capabilities':
        print(json.dumps(r.get('return', r)))
PY
}
# The witness: events on the second monitor, until killed.
python3 - "$T/witness" > "$T/events" <<'PY' & WPID=$!; BG_PIDS+=("$WPID")
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile('rw')
f.readline(); f.write('{"execute": "qmp_capabilities"}\n'); f.flush(); f.readline()
for line in f:
    r = json.loads(line)
    if 'event' in r:
        print(r['event'], flush=True)
PY
sleep 0.5

say "a real QEMU 7.2: told to report its DMA, stopped in the pause and continued"
sim w "$XDUMP" --precopy 5 "$T/p.core" 2> "$T/p.err" || { cat "$T/p.err"; fail "precopy"; }
! grep -q "device model" "$T/p.err" || { cat "$T/p.err"; fail "a warning about the real QEMU"; }
"$XDUMP" info "$T/p.core" | grep -q "device model: tracked" || fail "info: QEMU's DMA not tracked"
sleep 0.3
[ "$(tr '\n' ' ' < "$T/events")" = "STOP RESUME " ] || fail "the witness saw: $(tr '\n' ' ' < "$T/events") (not STOP then RESUME)"
qmp "$T/w/run/xen/qmp-libxl-5" query-status | grep -q '"running": true' || fail "QEMU not running after the dump"

say "a QEMU an operator stopped is left stopped, and the core says so"
qmp "$T/w/run/xen/qmp-libxl-5" stop > /dev/null
sim w "$XDUMP" --precopy 5 "$T/o.core" 2> "$T/o.err" || { cat "$T/o.err"; fail "precopy, QEMU stopped"; }
grep -q "its device model was not running (stopped by someone else: left so)" "$T/o.err" ||
  { cat "$T/o.err"; fail "not said"; }
qmp "$T/w/run/xen/qmp-libxl-5" query-status | grep -q '"running": false' || fail "xdump continued the operator's stopped QEMU"
"$XDUMP" info "$T/o.core" | grep -q "device model: NOT tracked" || fail "info: tracked"
qmp "$T/w/run/xen/qmp-libxl-5" cont > /dev/null
kill "$WPID" "$QPID" 2> /dev/null || true
echo ok
