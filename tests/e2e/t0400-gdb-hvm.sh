# Issue 4, "the core opens in gdb", HVM: a real kernel (fixtures/guest) booted in QEMU,
# captured, turned into a simulated HVM guest (qemu2world) and dumped by xdump. gdb must show
# its threads, registers, call chain with arguments and the values it computed at run time:
# what the kernel's formulas give, and what QEMU's own paging dump (the external reference)
# shows. On xdump's physical-only core (--no-virtual) gdb must NOT show them: the test can fail.
. "$(dirname "$0")/lib.sh"
G=$T/guest
say "build the test kernel, boot it in QEMU, take QEMU's dumps"
guest_capture "$G"
guest_expected "$G/registers.txt" > "$T/expected"

say "gdb on QEMU's paging dump (the reference) shows what the kernel computed"
guest_answers "$G/kernel.elf" "$G/paging.core" "$(grep -c '^CPU#' "$G/registers.txt")" > "$T/qemu.answers"
guest_expect_answers "QEMU's paging.core" "$T/expected" "$T/qemu.answers"
guest_no_gdb_warning "$G/paging.core"

say "qemu2world: an HVM guest with QEMU's RAM, memory and registers; xdump it"
guest_world "$G" hvm
guest_dump_in_gdb "$G" hvm

say "xdump's physical segments are QEMU's, byte for byte"
# QEMU's p_vaddr = p_paddr; with --no-virtual, xdump's PT_LOADs are all physical.
loads() { readelf -lW "$1" | awk '$1 == "LOAD" { print $4, $2, $5 }'; }
loads "$T/hvm.phys.core" > "$T/xdump.loads"
[ "$(loads "$G/phys.core" | awk '{ print $1, $3 }')" = "$(awk '{ print $1, $3 }' "$T/xdump.loads")" ] ||
  fail "the physical PT_LOADs (paddr, size) differ from QEMU's: $(loads "$G/phys.core")"
while read -r paddr qoff size; do
  xoff=$(awk -v p="$paddr" '$1 == p { print $2 }' "$T/xdump.loads")
  cmp -n $((size)) -i $((qoff)):$((xoff)) "$G/phys.core" "$T/hvm.phys.core" ||
    fail "the memory at $paddr differs from QEMU's"
done < <(loads "$G/phys.core")

say "gdb opens xdump's core without a warning (as QEMU's)"
guest_no_gdb_warning "$T/hvm.core"
