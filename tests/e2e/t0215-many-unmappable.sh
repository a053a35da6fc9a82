# More runs of unmappable frames than the room a file plans for them (64 + one per 512 pages):
# the notes move behind the page data (the pages stay), every run is listed; a stream, which
# cannot go back, fails with a clear error instead (no core).
. "$(dirname "$0")/lib.sh"
{
  printf 'domain 1\n  type hvm\n  memory 16M\n'
  for i in $(seq 0 99); do printf '  fault fail 0x%x 1 EFAULT\n' $((0x400 + 4 * i)); done
} | world w
sim w "$XDUMP" -q 1 "$T/d.core" || fail "xdump"
check w 1 "$T/d.core"
expect unmappable.runs 100; expect phys.unmappable_zero 100; expect phys.unmappable_bad 0
expect phys.pages_ok $((4096 - 100)); expect phys.pages_bad 0
note=$(readelf -lW "$T/d.core" | awk '$1 == "NOTE" {print $2}')
load=$(readelf -lW "$T/d.core" | awk '$1 == "LOAD" {print $2; exit}')
[ $((note)) -gt $((load)) ] || fail "the notes should have moved behind the pages ($note, $load)"
"$XDUMP" info "$T/d.core" | grep -q "100 runs" || { "$XDUMP" info "$T/d.core"; fail "info"; }

# The same domain with few enough failures keeps its notes before the pages (crash reads them
# only there).
world v <<'W'
domain 1
  type hvm
  memory 16M
  fault fail 0x400 1 EFAULT
W
sim v "$XDUMP" -q 1 "$T/v.core" || fail "xdump, one failure"
note=$(readelf -lW "$T/v.core" | awk '$1 == "NOTE" {print $2}')
load=$(readelf -lW "$T/v.core" | awk '$1 == "LOAD" {print $2; exit}')
[ $((note)) -lt $((load)) ] || fail "notes not before the pages ($note, $load)"

set +e
sim w "$XDUMP" -q 1 - > "$T/pipe.core" 2> "$T/err"
rc=$?
set -e
[ $rc = 7 ] || fail "a stream that cannot hold the runs: exit $rc, wanted 7 (XDUMP_E_IO)"
grep -q "do not fit" "$T/err" || { cat "$T/err"; fail "no clear error"; }

# The head rewritten in place (the notes moved) on a disk that fills: a short pwrite() sets no
# errno; the error must name the disk's reason (the next write's), and no core is left.
mkdir "$T/sf"
set +e
LD_PRELOAD=$BUILD/tests/iofault.so IOFAULT_MATCH=/sf/ IOFAULT_AFTER=$((1 << 40)) \
  IOFAULT_SHORT_PWRITE=100 IOFAULT_ERRNO=ENOSPC "$XSIM" run "$T/w" -- "$XDUMP" -q 1 "$T/sf/d.core" 2> "$T/err"
rc=$?
set -e
[ $rc = 7 ] || { cat "$T/err"; fail "a short rewrite: exit $rc, wanted 7 (XDUMP_E_IO)"; }
grep -q "No space left on device" "$T/err" || { cat "$T/err"; fail "the short write's reason is not said"; }
[ -z "$(ls -A "$T/sf")" ] || { ls -la "$T/sf"; fail "a partial file was left"; }
