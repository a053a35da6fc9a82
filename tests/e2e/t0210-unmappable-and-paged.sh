# Frames that cannot be mapped are zeros in their own place and listed exactly (pfn, count,
# errno) in the XDUMP note; paged-out frames are retried and dumped right.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 1
  type hvm
  memory 32M
  fault fail 0x200 4 EFAULT
  fault fail 0x204 2 EPERM       # adjacent, another errno: another run
  fault fail 0x1000 1 EIO
  fault paged 0x300 3 5          # 5 tries each before they come back
domain 2
  type pv
  memory 32M
  fault fail 0x10 16 EINVAL
  fault paged 0x20 2 3
W
sim w "$XDUMP" 1 "$T/d1.core" || fail "xdump dom1"
check w 1 "$T/d1.core"
expect unmappable.runs 3
[ "$(val unmappable.run | head -1)" = "0x200,4,14" ] || fail "first run"
printf '%s\n' "$REPORT" | grep -qx 'unmappable.run=0x204,2,1' || fail "EPERM run"
printf '%s\n' "$REPORT" | grep -qx 'unmappable.run=0x1000,1,5' || fail "EIO run"
expect phys.unmappable_zero 7; expect phys.unmappable_bad 0
expect xen.unmappable_zero 7; expect phys.pfns_missing 0; expect phys.pages_bad 0
expect phys.pages_ok $((8192 - 7))
"$XDUMP" info "$T/d1.core" > "$T/info" || fail info
grep -q EFAULT "$T/info" && grep -q EPERM "$T/info" && grep -q EIO "$T/info" || { cat "$T/info"; fail "errno names"; }

sim w "$XDUMP" 2 "$T/d2.core" || fail "xdump dom2"
check w 2 "$T/d2.core"
expect unmappable.runs 1; expect unmappable.run 0x10,16,22
expect phys.pages_ok $((8192 - 16)); expect phys.unmappable_zero 16; expect xen.gmfn_bad 0
[ "$(simstat w 2 frames_paged)" -ge 6 ] || fail "the paged frames were not retried"
