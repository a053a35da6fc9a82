# Field truth (issue 14, defect 3): a PV guest whose machine frames overlap its own pfns - the
# normal case on a host with more memory than the guest. No address may be claimed twice with
# different bytes: corecheck reads the core as readers that know none of xdump's flags do (by
# p_paddr alone, by p_vaddr through the guest's page tables, which it walks itself, and
# through the Xen index), and judges every page by the world's memory.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 1
  name      overlap
  type      pv
  memory    64M
  mfn_base  0x100                 # machine frames 0x100.., shuffled: pfns 0x100-0x3fff are
  vcpus     2                     #   also machine frames of other pfns of the same guest
  fill      pattern 14
domain 2
  name      apart
  type      pv
  memory    16M
  fill      pattern 15
W
over=0
for pfn in $(seq 0 64 16383); do
  mfn=$("$XSIM" frame "$T/w" 1 $pfn)
  [ $((mfn)) -lt 16384 ] && [ $((mfn)) != $pfn ] && over=$((over + 1))
done
say "dom1: $over of 256 sampled pfns have a machine frame that is another pfn of the guest"
[ $over -gt 128 ] || fail "the world does not overlap (only $over of 256)"

for dom in 1 2; do
  sim w "$XDUMP" $dom "$T/d$dom.core" 2> /dev/null || fail "xdump $dom"
  pages=$((dom == 1 ? 16384 : 4096))
  check w $dom "$T/d$dom.core"
  say "dom$dom: the Xen index, crash's machine view, by p_paddr, by p_vaddr"
  expect xen.pages_ok $pages; expect xen.pages_bad 0; expect xen.gmfn_bad 0
  expect mach.pages_bad 0; expect mach.p2m_entries_bad 0
  expect paddr.conflicts 0; expect paddr.pages_bad 0; expect paddr.foreign 0
  expect paddr.pages_ok $pages
  expect virt.pages_bad 0; expect virt.paddr_bad 0
  [ "$(val virt.pages_ok)" -gt 0 ] || fail "no virtual page checked"
  expect phys.segments "$(val mach.segments)"; expect phys.pages_ok $pages
done
