#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh SCENARIO OUTDIR [IMAGEDIR] - boot real Xen under QEMU (TCG) with what assemble.sh put in
# IMAGEDIR (default OUTDIR), run the dom0 scenario(s) SCENARIO ("pv", or several joined by
# '+': "pv+pvh+pvguest", all in one boot), and extract their results on the host:
#
#   OUTDIR/<scenario>/...   what the scenario left in /out/<scenario> (cores, logs, times.txt, rc)
#   OUTDIR/serial.log       Xen's and dom0's console
#   OUTDIR/run.txt          key=value: boot and total timings, how the run ended
#
# The run is bounded ($XDUMP_REALXEN_TIMEOUT s, default 900) and killed at once when the serial
# log shows a Xen panic, a dom0 crash or a kernel panic: the tail of the log is then printed and
# the exit status is non-zero. Only one QEMU runs at a time on the machine (/tmp/xdump-qemu.lock).
set -eu

die() { echo "run: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: run.sh SCENARIO OUTDIR [IMAGEDIR]"
SCEN=$1
OUT=$2
IMG=${3:-$2}
TMO=${XDUMP_REALXEN_TIMEOUT:-900}
LOCK=/tmp/xdump-qemu.lock
QEMU=${QEMU:-qemu-system-x86_64}

command -v "$QEMU" >/dev/null 2>&1 || die "$QEMU not found: install Debian's qemu-system-x86"
command -v flock >/dev/null 2>&1 || die "flock not found (util-linux)"
for f in xen.elf vmlinuz dom0.cpio; do
    [ -f "$IMG/$f" ] || die "$IMG/$f missing: run tests/realxen/assemble.sh first"
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
IMG=$(cd "$IMG" && pwd)
case "$OUT$IMG" in *,*) die "paths must not contain commas (QEMU's -initrd list)" ;; esac

SERIAL=$OUT/serial.log
DISK=$OUT/results.img
PIDF=$OUT/qemu.pid
for s in $(echo "$SCEN" | tr '+' ' '); do rm -rf "${OUT:?}/$s"; done
rm -f "$SERIAL" "$DISK" "$PIDF" "$OUT/run.txt"
: >"$SERIAL"
truncate -s 8G "$DISK"   # sparse; slot k of results is a tar at k GiB (dom0/lib.sh)

XEN_CMDLINE="smap=0 smep=0 console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M \
dom0_max_vcpus=1 noreboot bootscrub=0 loglvl=all guest_loglvl=all"
DOM0_CMDLINE="console=hvc0 earlyprintk=xen xdump_scenario=$SCEN"

now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{printf "%.1f", $1 - $2}'; }

T_REQ=$(now)
# flock waits (bounded) for any other QEMU run; timeout bounds this one.
flock -w 1200 "$LOCK" timeout -k 5 "$TMO" "$QEMU" \
    -accel tcg -cpu max -machine pc -smp 2 -m 2048 \
    -nodefaults -display none -no-reboot -monitor none \
    -serial "file:$SERIAL" \
    -pidfile "$PIDF" \
    -kernel "$IMG/xen.elf" -append "$XEN_CMDLINE" \
    -initrd "$IMG/vmlinuz $DOM0_CMDLINE,$IMG/dom0.cpio" \
    -drive "file=$DISK,format=raw,if=virtio,cache=unsafe" \
    >"$OUT/qemu.out" 2>&1 &
JOB=$!

# Wait for QEMU itself (the lock may be held by another run).
while [ ! -s "$PIDF" ] && kill -0 $JOB 2>/dev/null; do sleep 0.2; done
T0=$(now)
QPID=$(cat "$PIDF" 2>/dev/null || true)
# Never leave a QEMU behind, whatever ends this script.
[ -n "$QPID" ] && trap 'kill "$QPID" 2>/dev/null || true' EXIT INT TERM
[ -n "$QPID" ] && echo "run: QEMU pid $QPID started after $(since "$T_REQ") s waiting for $LOCK"

PANIC='Panic on CPU|Dom0 crashed|Kernel panic|KVM internal error'
why=
t_boot=
t_done=
while kill -0 $JOB 2>/dev/null; do
    if grep -Eq "$PANIC" "$SERIAL"; then
        why="crash: $(grep -Em1 "$PANIC" "$SERIAL")"
        break
    fi
    if [ -z "$t_boot" ] && grep -q 'XDUMP-REALXEN: .* xen tools up' "$SERIAL"; then
        t_boot=$(since "$T0")
        echo "run: dom0 up, Xen tools running at $t_boot s"
    fi
    if [ -z "$t_done" ] && grep -q 'XDUMP-REALXEN-DONE' "$SERIAL"; then
        t_done=$(since "$T0")
    fi
    # dom0 powered off but QEMU still up (Xen may halt rather than power off): give it 15 s.
    if [ -n "$t_done" ] && awk -v a="$(since "$T0")" -v b="$t_done" 'BEGIN {exit !(a - b > 15)}'; then
        break
    fi
    sleep 1
done
[ -n "$QPID" ] && kill "$QPID" 2>/dev/null || true
set +e
wait $JOB
qrc=$?
set -e
T_END=$(since "$T0")
[ -z "$t_done" ] && grep -q 'XDUMP-REALXEN-DONE' "$SERIAL" && t_done=$T_END
if [ -z "$why" ]; then
    if [ -z "$QPID" ]; then
        why="QEMU did not start (rc $qrc): $(tail -3 "$OUT/qemu.out")"
    elif [ -z "$t_done" ] && [ $qrc -eq 124 ]; then
        why="timeout: no end after $TMO s"
    elif [ -z "$t_done" ]; then
        why="QEMU ended (rc $qrc) before the scenarios did: $(tail -3 "$OUT/qemu.out")"
    fi
fi

# ---- results out of the disk: one tar per slot --------------------------------------------------
k=0
nslots=0
while [ $k -lt 8 ]; do
    if [ "$(dd if="$DISK" bs=512 count=1 skip=$((k * 2097152)) 2>/dev/null | tr -d '\000' | wc -c)" -eq 0 ]; then
        break
    fi
    dd if="$DISK" bs=1M skip=$((k * 1024)) 2>/dev/null | tar xf - -C "$OUT" ||
        echo "run: results slot $k unreadable"
    k=$((k + 1))
    nslots=$k
done
rm -f "$DISK"

{
    echo "boot_seconds=${t_boot:-none}"
    echo "scenarios_done_seconds=${t_done:-none}"
    echo "total_seconds=$T_END"
    echo "result_slots=$nslots"
    echo "end=${why:-ok}"
    grep -o 'XDUMP-REALXEN-DONE rc=[0-9]*' "$SERIAL" | sed 's/XDUMP-REALXEN-DONE /dom0_/' || true
} >"$OUT/run.txt"
echo "run: boot ${t_boot:-?} s, scenarios done ${t_done:-?} s, total $T_END s, $nslots result slot(s)"

if [ -n "$why" ]; then
    echo "run: FAIL: $why" >&2
    echo "---- last 40 lines of $SERIAL ----" >&2
    tail -40 "$SERIAL" >&2
    exit 1
fi
exit 0
