# More than 65534 program headers: e_phnum = PN_XNUM and the count in section 0's sh_info;
# readelf, libelf and xdump info all read it.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 1
  type hvm
  ram-stripes 0x0 70000 1 2      # every other gfn: 70000 runs
  fill pattern 3
W
sim w "$XDUMP" -q 1 "$T/d.core" || fail xdump
readelf -hW "$T/d.core" | grep -Eq 'Number of program headers: +65535 \(70001\)' \
  || { readelf -hW "$T/d.core" | head -20; fail "PN_XNUM"; }
check w 1 "$T/d.core"
expect phys.segments 70000; expect phys.pages_ok 70000; expect xen.pages_ok 70000
"$XDUMP" info "$T/d.core" | grep -q "70000 runs" || fail "info"
