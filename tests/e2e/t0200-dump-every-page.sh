# xdump dumps HVM (sparse, with holes), PV with the p2m tree, and PV with the linear list at an
# unaligned address (which defeats Xen's own walker): every present page is in the core, by
# p_paddr AND through the Xen sections; registers equal the contexts; the domain was paused
# for the dump and is unpaused after.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 1
  name hvm-holes
  type hvm
  ram 0x0 0x9f
  ram 0x100 0x3ff
  ram 0x10000 0x10fff
  ram 0x100000 0x1007ff        # above 4 GiB
  vcpus 3
  vcpu 1 down
  vcpu 2 rip=0xffffffff81c0ffee rsp=0xffffc90000abcdef r15=0x1515 rax=0xaaaa
domain 2
  name pv-tree
  type pv
  memory 48M
  p2m tree
  vcpus 2
domain 3
  name pv-list
  type pv
  ram 0x0 0x1fff
  ram 0x3000 0x4fff              # a hole in the p2m
  p2m_size 0x8000
  p2m list 0xffffc90000523000    # not 1 GiB-aligned
  vcpus 4
  vcpu 2 offline
  vcpu 3 down
W
frames() { "$XSIM" stat "$T/w" "$1" >/dev/null; case $1 in 1) echo 7072;; 2) echo 12288;; 3) echo 16384;; esac; }
for d in 1 2 3; do
  say "dom$d"
  sim w "$XDUMP" $d "$T/d$d.core" || fail "xdump dom$d"
  check w $d "$T/d$d.core"
  n=$(frames $d)
  for view in phys xen; do
    expect $view.pages_ok "$n"
    expect $view.pages_bad 0
    expect $view.pfns_missing 0
    expect $view.pages_dup 0
    expect $view.pages_hole 0
  done
  expect xen.entries "$n"
  expect xen.gmfn_bad 0
  expect prstatus.bad 0
  expect elf.type 4
  [ "$(simstat w $d pause_calls)" = 1 ] && [ "$(simstat w $d unpause_calls)" = 1 ] || fail "paused once, unpaused once"
  [ "$(simstat w $d pause_count)" = 0 ] || fail "pause count not restored"
done
check w 1 "$T/d1.core"
expect phys.segments 4; expect prstatus.vcpus 0,2; expect xen.nr_vcpus 2; expect xen.format pfn
check w 3 "$T/d3.core"
# PV: p_paddr is a machine address (docs/FORMAT.md): the physical view is the machine-addressed
# segments, no pfn-addressed one claims the same addresses with other pages.
expect phys.segments "$(val mach.segments)"; expect paddr.conflicts 0; expect paddr.pages_bad 0
expect prstatus.vcpus 0,1,2; expect xen.format p2m; expect xen.magic 0xf00febed

say "xdump info tells the vCPUs apart"
"$XDUMP" info "$T/d3.core" > "$T/info3"
grep -Eq 'vcpu 2 .*down' "$T/info3" || { cat "$T/info3"; fail "vCPU 2 should be down"; }
grep -Eq 'vcpu 3 .*never' "$T/info3" || { cat "$T/info3"; fail "vCPU 3 was never brought up"; }
"$XDUMP" info "$T/d1.core" > "$T/info1"
grep -q 'rip 0xffffffff81c0ffee' "$T/info1" || { cat "$T/info1"; fail "vCPU 2's rip"; }
"$XDUMP" info --json "$T/d1.core" | grep -q '"pages"' || fail "json"

say "the core is an ELF core readelf accepts, one PT_NOTE first"
readelf -lW "$T/d2.core" | awk '/Program Headers/{p=1;next} p&&NF' | sed -n 2p | grep -q '^ *NOTE' || fail "PT_NOTE is not first"
readelf -nW "$T/d2.core" | grep -c 'CORE .*NT_PRSTATUS' | grep -qx 2 || fail "two NT_PRSTATUS notes"

say "HVM/PVH: segment bases and descriptor tables from Xen's HVM CPU record"
"$XDUMP" info --json "$T/d1.core" | grep -q '"idt_base":18446741874686296064' \
  || "$XDUMP" info "$T/d1.core" | grep -q 'idt 0xfffffe0000000000' || fail "IDT base missing"
world old <<'W'
domain 1
  type pvh
  memory 8M
  fault no-hvm-context
W
sim old "$XDUMP" 1 "$T/old.core" 2> "$T/old.err" || fail "an old Xen must not stop the dump"
[ "$(grep -c warning "$T/old.err")" = 1 ] || { cat "$T/old.err"; fail "one warning expected"; }
grep -q "HVM CPU context" "$T/old.err" || fail "which data was left out"
check old 1 "$T/old.core"; expect phys.pages_ok 2048; expect prstatus.ok 1

say "virtual PT_LOADs from the page walk: the same bytes as the physical pages they map"
for d in 2 3; do
  check w $d "$T/d$d.core"
  [ "$(val virt.segments)" -gt 0 ] || fail "dom$d: no virtual segments (its p2m list is mapped)"
  expect virt.pages_bad 0; expect virt.noncanonical 0
done
say "PV: the machine-addressed view crash reads (PT_LOADs by mfn, xdump's p2m frame lists)"
for d in 2 3; do
  check w $d "$T/d$d.core"
  expect mach.pages_ok "$(frames $d)"; expect mach.pages_bad 0; expect mach.xdump_segments 1
  expect mach.p2m_entries_bad 0
  # the frame lists cover every pfn up to the last present one, in pages of 512
  [ "$(val mach.p2m_entries_ok)" -ge "$(frames $d)" ] || fail "dom$d: p2m entries missing"
  readelf -nW "$T/d$d.core" > "$T/notes$d"
  grep -Eq 'Xen +0x00000018.*0x01000001' "$T/notes$d" || fail "dom$d: no Xen CRASH_INFO note in the PT_NOTE"
done
check w 1 "$T/d1.core"; expect mach.segments 0; expect mach.xdump_segments 0
sim w "$XDUMP" --no-virtual 3 "$T/nv.core" || fail "--no-virtual"
check w 3 "$T/nv.core"; expect virt.segments 0; expect phys.pages_ok 16384

say "pages Xen lends the guest: 'no page' to getpageframeinfo3, yet they map - as on a real PVH"
# Real Xen 4.17, PVH Linux guest (tests/realxen, scenario facts): shared_info at gfn 0x10 (over
# one of its RAM pages) and grant frame 0 at 0xffff, each named by Xen, were the only frames
# of 0xff000 that Xen calls absent and that map. Here also a v2 table with its status frames.
world sp <<'W'
domain 1
  type pvh
  memory 16M
  shared_info 0x10
  grant_table 1 0xffff 1
domain 2
  type hvm
  memory 16M
  shared_info 0x2f000
  grant_table 2 0x30000 9 0x30010
  ram 0x40000 0x40000
  fault special 0x40000 1
W
sim sp "$XDUMP" 1 "$T/sp.core" 2> "$T/sp.out" || { cat "$T/sp.out"; fail "xdump special"; }
check sp 1 "$T/sp.core"; expect phys.pages_ok 4097; expect phys.pfns_missing 0
# only the two gfns Xen named were probed (0x10 is present to getpageframeinfo3's neighbours,
# but Xen calls it absent), not the 0xf000 gfns of the hole up to 0xffff
grep -q "(2 gfns probed)" "$T/sp.out" || { cat "$T/sp.out"; fail "dom1: probes"; }
[ "$(simstat sp 1 gnt_grow_asked)" = 0 ] || fail "dom1: xdump asked Xen to grow the grant table"
# v2: 9 shared frames and their 2 status frames found, and shared_info; a special frame Xen
# does not name (0x40000) only with --probe-all, which asks about every absent gfn
sim sp "$XDUMP" 2 "$T/sp2.core" 2> "$T/sp2.out" || { cat "$T/sp2.out"; fail "xdump v2"; }
check sp 2 "$T/sp2.core"; expect phys.pages_ok $((4096 + 1 + 9 + 2)); expect phys.pfns_missing 1
grep -q "(12 gfns probed)" "$T/sp2.out" || { cat "$T/sp2.out"; fail "dom2: probes"; }
sim sp "$XDUMP" --probe-all 2 "$T/sp3.core" 2> "$T/sp3.out" || fail "xdump --probe-all"
check sp 2 "$T/sp3.core"; expect phys.pages_ok $((4096 + 1 + 9 + 2 + 1)); expect phys.pfns_missing 0
[ "$(simstat sp 2 gnt_grow_asked)" = 0 ] || fail "dom2: xdump asked Xen to grow the grant table"
