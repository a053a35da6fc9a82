# The p2m kept run-length (issue 18) at its worst: PV guests whose machine frames are
# contiguous nowhere (mfn_extent 1: Xen's 4 KiB fallback, a ballooned guest) or in pieces of 7
# frames that no power of two lines up with. Every pfn's page, by the Xen index, by p_paddr
# (crash's machine view) and by p_vaddr, is judged by the world's memory (corecheck), never by
# xdump's runs; there are at least as many machine segments as the world has pieces.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 1
  name       scattered
  type       pv
  memory     16M
  mfn_extent 1
  vcpus      2
  fill       pattern 21
domain 2
  name       sevens
  type       pv
  memory     16M
  mfn_base   0x100
  mfn_extent 7
  p2m        tree
  vcpus      1
  fill       pattern 22
W
for dom in 1 2; do
  # the world's own pieces, sampled: does pfn + 1's machine frame follow pfn's?
  breaks=0
  for pfn in $(seq 0 32 4064); do
    a=$("$XSIM" frame "$T/w" $dom $pfn) b=$("$XSIM" frame "$T/w" $dom $((pfn + 1)))
    [ $((b)) = $((a + 1)) ] || breaks=$((breaks + 1))
  done
  say "dom$dom: $breaks of 128 sampled neighbours are not machine-contiguous (the world's)"
  if [ $dom = 1 ]; then
    [ $breaks = 128 ] || fail "dom1: the world is not scattered page by page"
    least=4096 # every page its own machine segment
  else
    [ $breaks -ge 5 ] && [ $breaks -le 60 ] || fail "dom2: not in pieces of 7 ($breaks)"
    least=585 # 4096 / 7
  fi
  sim w "$XDUMP" $dom "$T/d$dom.core" 2> /dev/null || fail "xdump $dom"
  check w $dom "$T/d$dom.core"
  expect xen.pages_ok 4096; expect xen.pages_bad 0; expect xen.gmfn_bad 0
  expect mach.pages_bad 0; expect mach.p2m_entries_bad 0
  expect paddr.conflicts 0; expect paddr.pages_bad 0; expect paddr.foreign 0
  expect paddr.pages_ok 4096
  expect virt.pages_bad 0; expect virt.paddr_bad 0
  [ "$(val mach.segments)" -ge $least ] ||
    fail "dom$dom: $(val mach.segments) machine segments, fewer than its $least pieces"
done
