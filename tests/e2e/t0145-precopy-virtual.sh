# xdump --precopy and the virtual segments (issue 20): the guest changes its page tables while
# it is copied - maps a page it did not map at the start, unmaps one it did - and the core's
# virtual segments must be its page tables as they were at the pause, as gdb reads them: the
# new page at its new address, the old address gone. A paused dump of the same guest before the
# change is the control (the page tables of the world file), and gdb is the reader.
. "$(dirname "$0")/lib.sh"
# The guest's 4-level tables at pfns 0x10-0x13: the kernel-half address 0xffff888000000000
# (PML4 slot 273, PDPT 0, PD 0) maps, with its PT's first 16 entries, pfns 0x100-0x10f.
python3 - "$T/pt.bin" <<'PY'
import struct, sys
pages = [bytearray(4096) for _ in range(4)]
def ent(pfn): return struct.pack('<Q', pfn << 12 | 3)   # present, writable
pages[0][273 * 8:273 * 8 + 8] = ent(0x11)
pages[1][0:8] = ent(0x12)
pages[2][0:8] = ent(0x13)
for i in range(16):
    pages[3][i * 8:i * 8 + 8] = ent(0x100 + i)
open(sys.argv[1], 'wb').write(b''.join(pages))
PY
BASE=0xffff888000000000
NEW=$((0x200 << 12 | 3))
# At the first CLEAN of the pre-copy - after the walk at the start, before the pause - the guest
# stores PT[20] = pfn 0x200 (0xffff888000014000 now maps it) and PT[3] = 0 (0xffff888000003000
# unmapped): xensim's `fault store`, a write the guest's vCPU makes while it runs.
world w <<W
domain 9
  type hvm
  memory 16M
  load $T/pt.bin 0x10
  vcpu 0 cr0=0x80000011 cr4=0x20 cr3_pfn=0x10
  fault store 1 0x13 $((20 * 8)) $NEW
  fault store 1 0x13 $((3 * 8)) 0
W
# word CORE ADDR: the 8 bytes gdb reads at ADDR in CORE, or "unmapped" when it cannot.
word() {
  local out
  out=$(gdb -nx -batch -ex "core-file $1" -ex "x/gx $2" 2>&1)
  case $out in
    *"Cannot access memory"*) echo unmapped ;;
    *) printf '%s\n' "$out" | awk -v a="$(printf '%#x' "$2")" '$1 == a":" { print $2 }' ;;
  esac
}
# pfn_at CORE ADDR: the pfn the page at ADDR holds: the pattern fill puts it at byte 16
# (tests/xensim/README.md, fill pattern).
pfn_at() { word "$1" $(($2 + 16)); }

say "control: a paused dump before the guest changed anything maps 0xffff888000003000, not ...14000"
sim w "$XDUMP" 9 "$T/before.core" 2> "$T/before.err" || { cat "$T/before.err"; fail "paused dump"; }
[ "$(pfn_at "$T/before.core" $((BASE + 3 * 4096)))" = 0x0000000000000103 ] ||
  fail "paused core: 0xffff888000003000 is not pfn 0x103: $(pfn_at "$T/before.core" $((BASE + 3 * 4096)))"
[ "$(pfn_at "$T/before.core" $((BASE + 20 * 4096)))" = unmapped ] ||
  fail "paused core: 0xffff888000014000 mapped before the guest mapped it"
[ "$(simstat w 9 ld_clean_calls)" = 0 ] || fail "a paused dump made a CLEAN"

say "--precopy: the guest remaps during the dump; the core has its page tables at the pause"
sim w "$XDUMP" --precopy 9 "$T/p.core" 2> "$T/p.err" || { cat "$T/p.err"; fail "precopy"; }
grep -q "the guest stored $(printf '%#x' $NEW) at pfn 0x13 + 0xa0 before CLEAN 1" "$T/w/xensim.log" ||
  fail "the guest's store was not made at CLEAN 1: $(cat "$T/w/xensim.log")"
[ "$(pfn_at "$T/p.core" $((BASE + 20 * 4096)))" = 0x0000000000000200 ] ||
  fail "pre-copy core: 0xffff888000014000 is not pfn 0x200, which the guest mapped there: $(pfn_at "$T/p.core" $((BASE + 20 * 4096)))"
[ "$(pfn_at "$T/p.core" $((BASE + 3 * 4096)))" = unmapped ] ||
  fail "pre-copy core: 0xffff888000003000 is still mapped, which the guest unmapped"
[ "$(pfn_at "$T/p.core" $((BASE + 15 * 4096)))" = 0x000000000000010f ] || fail "pre-copy core: 0xffff88800000f000 lost"
"$XDUMP" info "$T/p.core" > "$T/p.info" || fail "info"
grep -q "virtual segments: the page tables as they were at the pause" "$T/p.info" ||
  { cat "$T/p.info"; fail "info does not say the virtual segments are the pause's"; }
[ "$(simstat w 9 pause_count)" = 0 ] && [ "$(simstat w 9 logdirty)" = 0 ] || fail "dom9 left paused or tracked"

say "PV (shadow paging): the tables hold machine frames; the walk at the pause asks the M2P again"
pvworld() { # pvworld NAME [FAULT-LINES]: the same tables, as a PV guest's (pv-pagetables)
  { printf 'shadow-paging on\ndomain 9\n  type pv\n  memory 16M\n  load %s 0x10\n' "$T/pt.bin"
    printf '  pv-pagetables\n  vcpu 0 cr3_pfn=0x10\n%s' "${2:-}"; } | world "$1"
}
pvworld pv0
MFN=$("$XSIM" frame "$T/pv0" 9 0x200) || fail "xensim frame"
pvworld pv "  fault store 1 0x13 $((20 * 8)) $((MFN << 12 | 3))
  fault store 1 0x13 $((3 * 8)) 0
"
sim pv "$XDUMP" --precopy 9 "$T/pv.core" 2> "$T/pv.err" || { cat "$T/pv.err"; fail "PV precopy"; }
[ "$(pfn_at "$T/pv.core" $((BASE + 20 * 4096)))" = 0x0000000000000200 ] ||
  fail "PV pre-copy core: 0xffff888000014000 is not pfn 0x200 (mfn $MFN): $(pfn_at "$T/pv.core" $((BASE + 20 * 4096)))"
[ "$(pfn_at "$T/pv.core" $((BASE + 3 * 4096)))" = unmapped ] || fail "PV pre-copy core: 0xffff888000003000 still mapped"
[ "$(pfn_at "$T/pv.core" $((BASE + 15 * 4096)))" = 0x000000000000010f ] || fail "PV pre-copy core: 0xffff88800000f000 lost"
[ "$(simstat pv 9 pause_count)" = 0 ] && [ "$(simstat pv 9 logdirty)" = 0 ] || fail "PV dom9 left paused or tracked"

say "more ranges at the pause than the head has room for: the kernel half's first ones kept, a warning"
# Two more PTs (pfns 0x14, 0x15), every other entry present: 256 single-page ranges each. At
# CLEAN 1 the guest plugs them into PD[1] and PD[2]: 513 ranges, where the head has room for the
# start's one, twice, and 256 (the dump's XD_VIRT_SLACK).
python3 - "$T/pt2.bin" <<'PY'
import struct, sys
pages = [bytearray(4096) for _ in range(2)]
for t in range(2):
    for i in range(0, 512, 2):
        pages[t][i * 8:i * 8 + 8] = struct.pack('<Q', (0x400 + t * 512 + i) << 12 | 3)
open(sys.argv[1], 'wb').write(b''.join(pages))
PY
world many <<W
domain 9
  type hvm
  memory 16M
  load $T/pt.bin 0x10
  load $T/pt2.bin 0x14
  vcpu 0 cr0=0x80000011 cr4=0x20 cr3_pfn=0x10
  fault store 1 0x12 8 $((0x14 << 12 | 3))
  fault store 1 0x12 16 $((0x15 << 12 | 3))
W
sim many "$XDUMP" --precopy 9 "$T/m.core" 2> "$T/m.err" || { cat "$T/m.err"; fail "precopy, many ranges"; }
grep -q "^xdump: warning: pre-copy: the page tables at the pause map 513 ranges, more than the file's head has room for: 0 of the user half and [0-9]* of the kernel half left out" "$T/m.err" ||
  { cat "$T/m.err"; fail "no warning for the ranges left out"; }
left=$(sed -n 's/.* and \([0-9]*\) of the kernel half left out.*/\1/p' "$T/m.err")
nload=$(readelf -lW "$T/m.core" | grep -c "LOAD *0x[0-9a-f]* 0xffff")
[ "$nload" = $((513 - left)) ] || fail "$nload virtual PT_LOADs, the warning says $((513 - left)) kept"
[ "$(pfn_at "$T/m.core" $((BASE + 15 * 4096)))" = 0x000000000000010f ] || fail "the first PT's pages lost"
[ "$(pfn_at "$T/m.core" $((BASE + 0x200000)))" = 0x0000000000000400 ] || fail "PD[1]'s first page not kept"
[ "$(pfn_at "$T/m.core" $((BASE + 0x400000 + 510 * 4096)))" = unmapped ] || fail "the last range kept, past the room"
echo "t0145: ok"
