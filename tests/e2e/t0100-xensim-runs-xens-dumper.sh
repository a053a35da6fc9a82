# Foundation: Debian's real libxenguest dumper (xc_domain_dumpcore, behind `xl dump-core`) runs
# unmodified on xensim, and every page of its core equals the simulated memory. This is what
# makes the emulation trustworthy, and Xen's dumper our anchor.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 1
  name hvm64
  type hvm
  memory 64M
  vcpus 2
domain 2
  name pvtree
  type pv
  memory 64M
  p2m tree
  vcpus 2
domain 3
  name pvlist
  type pv
  memory 64M
  p2m list            # Linux's layout: the list at a 1 GiB-aligned address
  vcpus 2
W
for d in 1 2 3; do
  say "Xen's dumper on dom$d"
  sim w "$XCDUMP" $d "$T/xen$d.core" || fail "xc_domain_dumpcore dom$d"
  check w $d "$T/xen$d.core"
  expect xen.entries 16384
  expect xen.pages_ok 16384
  expect xen.pages_bad 0
  expect xen.pages_pad 0
  expect xen.pfns_missing 0
  expect xen.gmfn_bad 0
  expect phys.segments 0      # Xen's own file has no program headers: gdb cannot open it
done
expect xen.format p2m
check w 1 "$T/xen1.core"; expect xen.format pfn
# Xen's dumper maps one page per call: that is the cost xdump removes.
[ "$(simstat w 1 mmapbatch_calls)" -ge 16384 ] || fail "Xen's dumper used fewer map calls than pages?"
# It never pauses the domain.
[ "$(simstat w 2 pause_calls)" = 0 ] || fail "Xen's dumper paused the domain"
