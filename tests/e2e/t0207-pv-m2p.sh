# Issue 18: a PV dump looks machine frames up in Xen's M2P (XENMEM_machphys_mfn_list, frames of
# DOMID_XEN mapped read-only), not in an inverse of the p2m built in xdump's memory. The guest
# writes the M2P entries of its own frames (MMU_MACHPHYS_UPDATE), so a hostile guest can make
# them name any pfn: such an answer must never place a page at a wrong virtual address, nor
# make the walk unbounded. The oracle is corecheck, which walks the guest's page tables itself
# from the world (never through xdump's code): virt.pages_bad counts virtual pages whose bytes
# are not the page the guest's tables map there.
. "$(dirname "$0")/lib.sh"
G=$T/guest
guest_capture "$G"
guest_expected "$G/registers.txt" > "$T/expected"
"$QEMU2WORLD" "$G/phys.core" "$G/registers.txt" "$G/pv.in" --pv || fail "qemu2world"
# Machine frames contiguous nowhere: every frame is its own piece of the p2m, so every frame
# the walk meets is asked of the M2P (a believed answer's piece answers for its neighbours).
sed -i '/^ *type pv/a\  mfn_extent 1' "$G/pv.in/guest.world"
grep -q 'mfn_extent 1' "$G/pv.in/guest.world" || fail "no mfn_extent in the world file"
"$XSIM" create "$G/pv.in/guest.world" "$T/pv" || fail "xensim create"
n=$(grep -c '^CPU#' "$G/registers.txt")
KERNEL=$G/kernel.elf
sym() { nm "$KERNEL" | awk -v s="$1" '$3 == s { print "0x" $1 }'; }
# The kernel is linked at 0xffffffff80100000 and loaded at 1 MiB: pfn = (vaddr - base) >> 12.
pfn_of() { echo $((($(sym "$1") - 0xffffffff80000000) >> 12)); }
pat=$(pfn_of pattern)
[ "$pat" -gt 256 ] || fail "pattern's pfn $pat"

say "an honest guest: xdump reads Xen's table and the core is right"
sim pv "$XDUMP" 1 "$T/honest.core" 2> "$T/honest.err" || { cat "$T/honest.err" >&2; fail "xdump"; }
grep -E "^xdump: machine frames looked up in Xen's M2P: [1-9][0-9]* entries read, 0 refused" \
  "$T/honest.err" || { cat "$T/honest.err" >&2; fail "xdump did not use Xen's M2P"; }
mapped=$("$XSIM" stat "$T/pv" | sed -n 's/^m2p_frames_mapped=//p')
[ "${mapped:-0}" -gt 0 ] || fail "no frame of Xen's M2P was mapped (m2p_frames_mapped=$mapped)"
check pv 1 "$T/honest.core"
expect virt.pages_bad 0; expect xen.pages_bad 0; expect phys.pages_bad 0
honest_ok=$(val virt.pages_ok)
[ "$honest_ok" -gt 1000 ] || fail "only $honest_ok virtual pages in the honest core"
guest_answers "$KERNEL" "$T/honest.core" "$n" > "$T/honest.answers"
guest_expect_answers "the honest guest's core" "$T/expected" "$T/honest.answers"

say "the guest points pattern's frames at other present pfns, and a few beyond any pfn"
# Each of pattern's first 256 frames claims the pfn of the next one (believed, page k of
# pattern would show page k + 1's numbers); the 4 frames before it (the boot stack) claim 2^40.
# pattern's last frame, which holds counter, greeting and boot_magic, is left alone.
"$XSIM" set "$T/pv" 1 "m2p=$pat,256,$((pat + 1))" "m2p=$((pat - 4)),4,0x10000000000" ||
  fail "xensim set"
[ $(($(pfn_of counter) - pat)) = 256 ] || fail "counter is not in pattern's last frame"
sim pv "$XDUMP" 1 "$T/lie.core" 2> "$T/lie.err" || { cat "$T/lie.err" >&2; fail "xdump"; }
check pv 1 "$T/lie.core"
expect virt.pages_bad 0; expect xen.pages_bad 0; expect phys.pages_bad 0
# 260 frames, each mapped twice (the identity map and the kernel's): 520 answers refused.
grep -E "^xdump: machine frames looked up in Xen's M2P: .* 520 refused" "$T/lie.err" ||
  { cat "$T/lie.err" >&2; fail "xdump did not refuse the 520 answers"; }
lie_ok=$(val virt.pages_ok)
# Those 260 frames' pages are left out of the virtual view, not placed at the pfn the guest
# claims (corecheck's virt.pages_bad above).
[ $((honest_ok - lie_ok)) -ge 260 ] ||
  fail "virtual pages: $honest_ok honest, $lie_ok with the lies: the lied-about frames were followed"
guest_answers "$KERNEL" "$T/lie.core" "$n" > "$T/lie.answers"
# Left out of the core, pattern reads as the kernel file's .bss (zeros) or not at all; it must
# never read as another page's numbers.
got=$(grep -E '^pattern\[1000\]=-?[0-9]+$' "$T/lie.answers" || true)
case $got in "" | "pattern[1000]=0" | "pattern[1000]=145972072") ;; *) fail "gdb reads $got: a page misplaced" ;; esac
grep -qxF "$(grep '^counter=' "$T/expected")" "$T/lie.answers" ||
  fail "gdb lost counter, whose frame the guest did not lie about"

say "every frame claims the next pfn: nothing leads back, the walk ends, the physical core is whole"
"$XSIM" set "$T/pv" 1 "m2p=0,0x100000,1" || fail "xensim set"
s0=$(date +%s)
sim pv "$XDUMP" 1 "$T/all.core" 2> "$T/all.err" || { cat "$T/all.err" >&2; fail "xdump"; }
[ $(($(date +%s) - s0)) -lt 120 ] || fail "the dump took $(($(date +%s) - s0)) s"
grep -q "CR3's machine frame .* does not lead back through the p2m" "$T/all.err" ||
  { cat "$T/all.err" >&2; fail "no warning that CR3's frame was refused"; }
check pv 1 "$T/all.core"
expect virt.pages_bad 0; expect xen.pages_bad 0; expect phys.pages_bad 0
[ "$(vloads "$T/all.core")" = 0 ] || fail "virtual PT_LOADs from refused tables"

say "a dom0 that cannot map Xen's frames: xdump's own inverse, the same core as the honest one"
awk '!done && /^domain / { print "m2p unmappable"; done = 1 } { print }' "$G/pv.in/guest.world" > "$T/unmap.world"
"$XSIM" create "$T/unmap.world" "$T/unmap" || fail "xensim create (m2p unmappable)"
sim unmap "$XDUMP" 1 "$T/own.core" 2> "$T/own.err" || { cat "$T/own.err" >&2; fail "xdump"; }
grep -qF "xdump: warning: Xen's M2P could not be read (its frames did not map): machine frames are looked up in xdump's own inverse" \
  "$T/own.err" || { cat "$T/own.err" >&2; fail "no word of the fallback"; }
check unmap 1 "$T/own.core"
expect virt.pages_bad 0; expect virt.pages_ok "$honest_ok"
same_core "$T/honest.core" "$T/own.core"
