# Batches: a 1 GiB guest is copied with ceil(pages / 1024) map calls (plus the few the p2m and
# shared_info take), where Xen's own dumper needs one per page.
. "$(dirname "$0")/lib.sh"
world w <<'W'
domain 1
  type hvm
  memory 1G
  fill zero
domain 2
  type pv
  memory 1G
  fill zero
W
sim w "$XDUMP" 1 "$T/d1.core" 2> "$T/out1" || fail dom1
grep -q "262144 pages" "$T/out1" && grep -q " 256 map calls" "$T/out1" || { cat "$T/out1"; fail "copy calls"; }
# + the shared_info attempt, + a probe of the gfns Xen names as lent that it calls absent
# (none placed here: no probe at all; with --probe-all, one for the VGA hole)
[ "$(simstat w 1 mmapbatch_calls)" -le $((256 + 2)) ] || fail "dom1: $(simstat w 1 mmapbatch_calls) calls"
sim w "$XDUMP" 2 "$T/d2.core" 2> "$T/out2" || fail dom2
grep -q " 256 map calls" "$T/out2" || { cat "$T/out2"; fail "copy calls"; }
# + shared_info, the p2m (its 4 page tables, its 512 leaves in 1 batch) and the page-table
# walk for gdb (a call per table page read: 5 here); none of it per page of memory
[ "$(simstat w 2 mmapbatch_calls)" -le $((256 + 16)) ] || fail "dom2: $(simstat w 2 mmapbatch_calls) calls"
check w 2 "$T/d2.core"; expect phys.pages_ok 262144
