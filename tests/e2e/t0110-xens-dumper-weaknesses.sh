# The anchor's weaknesses, shown on xensim (xen-abi.md): frames that fail to map are skipped
# silently and the tail is zero-padded; a domain that dies mid-dump yields a padded core and
# success; a linear p2m that is not 1 GiB-aligned defeats its walker. xdump must do none of it.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 4
  type hvm
  memory 64M
  fault fail 0x200 4 EFAULT
  fault paged 0x300 2 3        # paged out: map after 3 tries (libxenforeignmemory retries)
domain 5
  type pv
  memory 64M
  fault fail 0x1000 3 EPERM
domain 6
  type pv
  memory 64M
  fault die-after 5000
domain 8
  type pv
  memory 64M
  p2m list 0xffffc90000523000
W
say "unmappable frames: skipped, tail padded, nothing recorded"
sim w "$XCDUMP" 4 "$T/x4.core" || fail "dumpcore dom4"
check w 4 "$T/x4.core"
expect xen.pfns_missing 4; expect xen.pages_pad 4; expect unmappable.runs 0
expect xen.pages_ok 16380   # the paged frames were retried by the library and are there
sim w "$XCDUMP" 5 "$T/x5.core" || fail "dumpcore dom5"
check w 5 "$T/x5.core"
expect xen.pfns_missing 3; expect xen.pages_pad 3; expect unmappable.runs 0

say "a domain that dies mid-dump: success and a zero-padded core"
sim w "$XCDUMP" 6 "$T/x6.core" || fail "Xen's dumper reported the death (it never did)"
check w 6 "$T/x6.core"
[ "$(val xen.pages_pad)" -gt 10000 ] || fail "expected a mostly padded core"
[ "$(simstat w 6 life)" = gone ] || fail "dom6 should be gone"

say "a linear p2m at an address that is not 1 GiB-aligned"
expect_rc 1 sim w "$XCDUMP" 8 "$T/x8.core"
grep -q "Couldn't map p2m table" "$T/stderr" || { cat "$T/stderr"; fail "unexpected error"; }
