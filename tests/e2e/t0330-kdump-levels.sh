# Issue 19, dump levels 2-31 at dump time: a real Linux guest (Debian 12's cloud kernel, booted
# in QEMU by fixtures/linux/capture.sh, whose init fills the page cache, tmpfs and anonymous
# memory and leaves memory free), captured into an xensim world. `xdump --format kdump -d N`
# decides from the guest's struct pages; the oracle is makedumpfile 1.7.2 -d N on xdump's ELF
# core of the same guest: the pfns each keeps are compared pfn by pfn, and every pfn only one
# keeps must have its listed reason. crash with the kernel's vmlinux reads xdump's -d 31 file:
# the release and the host name the guest set at run time (`sys`), its boot mark (`log`).
. "$(dirname "$0")/lib.sh"
command -v makedumpfile > /dev/null || fail "makedumpfile is not installed: make deps"
command -v crash > /dev/null || fail "crash is not installed: make deps"
command -v qemu-system-x86_64 > /dev/null || fail "qemu-system-x86_64 is not installed: make deps"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
C=${XDUMP_LINUX_CAPTURE:-$TOP/build/linux-guest}
KDIFF="/usr/bin/python3 $TOP/tests/tools/kdumpdiff.py"

say "the Linux guest: captured once into $C (QEMU under /tmp/xdump-qemu.lock)"
flock -n /tmp/xdump-qemu.lock true || say "waiting for another QEMU (/tmp/xdump-qemu.lock)"
flock -w "${QEMU_LOCK_WAIT:-900}" /tmp/xdump-qemu.lock "$TOP/fixtures/linux/capture.sh" "$C" ||
  fail "capturing the Linux guest (fixtures/linux/capture.sh)"
id=$(sed -n 's/^xdump-linux-guest: ready \([0-9a-f]*\).*/\1/p' "$C/serial.log" | tr -d '\r' | head -n 1)
[ -n "$id" ] || fail "the guest never said it was ready"
release=$(cat "$C/release")
guest_world "$C" linux

say "xdump's ELF core of the guest, for makedumpfile"
t0=$(date +%s.%N)
sim linux "$XDUMP" -q --no-virtual 1 "$T/g.elf" || fail "ELF dump"
t_elf=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
strings -n 8 "$T/g.elf" > "$T/g.strings"
vmci() { awk -v k="$1=" 'index($0, k) == 1 && substr($0, length(k) + 1) ~ /^-?[0-9a-f]+$/ { print substr($0, length(k) + 1); exit }' "$T/g.strings"; }
phys_base=$(vmci 'NUMBER(phys_base)')
koff=$((0x$(vmci KERNELOFFSET)))
[ -n "$phys_base" ] || fail "no VMCOREINFO in the guest"
# the kernel image, physically: [_text, _end rounded up to 2 MiB) of the vmlinux's symbols
# moved by KERNELOFFSET (cleanup_highmap() keeps its map to there: arch/x86/mm/init_64.c)
nm "$C/vmlinux" > "$T/nm"
sym() { awk -v s="$1" '$3 == s { print $1; exit }' "$T/nm"; }
img_lo=$(( (0x$(sym _text) + koff - 0xffffffff80000000 + phys_base) >> 12 ))
img_hi=$(( ((0x$(sym _end) + koff - 0xffffffff80000000 + phys_base + 0x1fffff) & ~0x1fffff) >> 12 ))
say "kernel image: pfns $(printf '%#x-%#x' $img_lo $img_hi)"

# explain RUNS MDF_MAX_MAPNR: each pfn xdump keeps and makedumpfile does not, with its reason;
# fails on one without.
explain() {
  local runs=$1 max=$2 item p n
  [ "$runs" = none ] && return 0
  for item in ${runs//,/ }; do
    p=$((${item%+*})) n=${item#*+}
    if [ "$p" -ge "$max" ]; then
      echo "   $item: above Linux's last memory section (makedumpfile cuts max_mapnr to its mem_map, get_mem_map(); xdump keeps the guest's memory there: VGA RAM, firmware)"
    elif [ "$p" -ge "$img_lo" ] && [ $((p + n)) -le "$img_hi" ]; then
      echo "   $item: the live kernel image (reserved pages of the kernel-image map: xdump keeps them whatever their struct page says)"
    else
      fail "pfns $item are kept by xdump only, for no listed reason"
    fi
  done
}

for level in 31 2 4 8 16; do
  say "-d $level: xdump at dump time against makedumpfile on the ELF core"
  for c in zlib:-c lzo:-l; do
    codec=${c%%:*} opt=${c#*:}
    [ "$level" = 31 ] || [ "$codec" = zlib ] || continue
    t0=$(date +%s.%N)
    makedumpfile $opt -d $level "$T/g.elf" "$T/m$level.$codec" > "$T/mdf.out" 2>&1 ||
      { cat "$T/mdf.out"; fail "makedumpfile $opt -d $level"; }
    t_mdf=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    t0=$(date +%s.%N)
    sim linux "$XDUMP" --format kdump -d $level --compress $codec 1 "$T/x$level.$codec" 2> "$T/x.err" ||
      { cat "$T/x.err"; fail "xdump -d $level"; }
    t_x=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    ! grep -q 'warning\|cannot be trusted\|no VMCOREINFO' "$T/x.err" || { cat "$T/x.err"; fail "-d $level fell back"; }
    grep "dump level $level:" "$T/x.err" | sed 's/^/   /'
    R=$($KDIFF "$T/x$level.$codec" "$T/m$level.$codec")
    kv() { printf '%s\n' "$R" | sed -n "s/^$1=//p"; }
    xs=$(stat -c %s "$T/x$level.$codec") ms=$(stat -c %s "$T/m$level.$codec")
    mmax=$(od -An -tu4 -j440 -N4 "$T/m$level.$codec" | tr -d ' ')
    echo "   $codec: kept xdump $(kv kept.a), makedumpfile $(kv kept.b); xdump only $(kv only_a), makedumpfile only $(kv only_b);" \
      "size xdump $xs, makedumpfile $ms ($(awk -v a=$xs -v b=$ms 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }'));" \
      "time xdump ${t_x}s, ELF dump ${t_elf}s + makedumpfile ${t_mdf}s"
    [ "$(kv only_b)" = 0 ] || fail "-d $level: makedumpfile keeps pfns xdump leaves out: $(kv only_b.runs)"
    explain "$(kv only_a.runs)" "$mmax"
    [ "$xs" -le $((ms * 105 / 100)) ] || fail "-d $level $codec: xdump's file is more than 5% above makedumpfile's"
    # not by accident: each level leaves something out
    [ "$(kv kept.a)" -lt $(( $(od -An -tu4 -j440 -N4 "$T/x$level.$codec" | tr -d ' ') / 2 )) ] ||
      [ "$level" != 31 ] || fail "-d 31 left out less than half the guest"
  done
done
[ "$(kv kept.a)" -lt "$($KDIFF "$T/x2.zlib" "$T/x2.zlib" | sed -n 's/^kept.a=//p')" ] ||
  fail "-d 16 keeps no fewer pages than -d 2: the guest has no free memory?"

say "PV: the same guest as a PV domain (its page tables in machine frames): the same pfns at -d 31"
guest_world "$C" linuxpv --pv
sim linuxpv "$XDUMP" --format kdump -d 31 --compress zlib 1 "$T/pv31" 2> "$T/pv.err" || { cat "$T/pv.err"; fail "PV -d 31"; }
! grep -q 'cannot be trusted\|no VMCOREINFO' "$T/pv.err" || { cat "$T/pv.err"; fail "PV -d 31 fell back"; }
R=$($KDIFF "$T/pv31" "$T/x31.zlib")
printf '%s\n' "$R" | grep -q '^only_a=0$' && printf '%s\n' "$R" | grep -q '^only_b=0$' ||
  { printf '%s\n' "$R"; fail "PV -d 31 keeps other pfns than HVM"; }

say "crash on xdump's -d 31 file: the release and host name the guest set, its boot mark"
printf 'sys\nlog\nquit\n' > "$T/crash.in"
crash -s "$C/vmlinux" "$T/x31.zlib" < "$T/crash.in" > "$T/crash.out" 2>&1 || true
grep -q "RELEASE: $release" "$T/crash.out" || { tail -40 "$T/crash.out"; fail "crash sys: no RELEASE $release"; }
grep -q "NODENAME: xdkdl-$id" "$T/crash.out" || { grep -a NODENAME "$T/crash.out"; fail "crash sys: not the host name the guest set (xdkdl-$id)"; }
grep -q "xdump-linux-guest: ready $id" "$T/crash.out" || fail "crash log: no boot mark 'ready $id'"
! grep -q "page excluded" "$T/crash.out" || { grep "page excluded" "$T/crash.out" | head; fail "crash met an excluded page"; }

# untrusted WHAT FROM TO: the guest with its VMCOREINFO text changed (every copy of FROM, same
# length): -d 31 must keep every page, as level 1, and say why in one warning.
untrusted() {
  local what=$1 from=$2 to=$3
  say "a mem_map xdump cannot trust ($what): level 1, every page kept, one warning"
  "$XSIM" create "$C/linux.in/guest.world" "$T/bad" > /dev/null || fail "xensim create bad"
  /usr/bin/python3 - "$T/bad/dom1.mem" "$from" "$to" <<'PY' || fail "patching the guest"
import mmap, sys
f = open(sys.argv[1], "r+b")
m = mmap.mmap(f.fileno(), 0)
a, b = sys.argv[2].encode(), sys.argv[3].encode()
assert len(a) == len(b)
n, i = 0, m.find(a)
while i >= 0:
    m[i : i + len(a)] = b
    n += 1
    i = m.find(a, i + 1)
sys.exit(0 if n else 1)
PY
  sim bad "$XDUMP" --format kdump -d 31 1 "$T/bad.kdump" 2> "$T/bad.err" || { cat "$T/bad.err"; fail "-d 31 on $what"; }
  [ "$(grep -c 'cannot be trusted' "$T/bad.err")" = 1 ] || { cat "$T/bad.err"; fail "$what: not one warning"; }
  grep 'cannot be trusted' "$T/bad.err" | sed 's/^/   /'
  [ "$(od -An -td4 -j$((4096 + 8)) -N4 "$T/bad.kdump" | tr -d ' ')" = 1 ] || fail "$what: the sub-header's level is not 1"
  R=$($KDIFF "$T/bad.kdump" "$T/x1")
  printf '%s\n' "$R" | grep -q '^only_a=0$' && printf '%s\n' "$R" | grep -q '^only_b=0$' ||
    { printf '%s\n' "$R"; fail "$what: not every page kept (as -d 1 keeps them)"; }
  rm -rf "$T/bad" "$T/bad.kdump"
}
ms=$(vmci 'SYMBOL(mem_section)')
sim linux "$XDUMP" -q --format kdump -d 1 --compress zstd 1 "$T/x1" || fail "-d 1"
untrusted "SIZE(page) 65" "SIZE(page)=64" "SIZE(page)=65"
untrusted "mem_section not mapped" "SYMBOL(mem_section)=$ms" "SYMBOL(mem_section)=${ms:0:8}00000000"

say "no VMCOREINFO (a guest that is not Linux): -d 31 writes level 1 and says so once"
world plain <<W
domain 2
  type hvm
  memory 16M
  fill zero-percent 30 5
W
sim plain "$XDUMP" --format kdump -d 31 2 "$T/p.kdump" 2> "$T/p.err" || { cat "$T/p.err"; fail "-d 31 on a guest without VMCOREINFO"; }
[ "$(grep -c 'no VMCOREINFO' "$T/p.err")" = 1 ] || { cat "$T/p.err"; fail "not one warning"; }
[ "$(od -An -td4 -j$((4096 + 8)) -N4 "$T/p.kdump" | tr -d ' ')" = 1 ] || fail "the sub-header's dump level is not 1"
R=$($KDIFF "$T/p.kdump" "$T/p.kdump")
[ "$(printf '%s\n' "$R" | sed -n 's/^kept.a=//p')" = 4096 ] || fail "not every page kept"
