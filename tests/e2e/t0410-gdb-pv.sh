# Issue 4, "the core opens in gdb", PV: the test guest of t0400 as a PV guest. xensim's
# `pv-pagetables` rewrites its page tables as a PV guest's are (machine frames, shuffled; no
# 2 MiB pages), so xdump's walk must translate every table entry through the p2m. gdb must
# give the same answers as on QEMU's dump, and not give them on the physical-only core.
. "$(dirname "$0")/lib.sh"
G=$T/guest
say "build the test kernel, boot it in QEMU, take QEMU's dumps"
guest_capture "$G"
guest_expected "$G/registers.txt" > "$T/expected"

say "qemu2world --pv: a PV guest, its page tables in machine frames; xdump it"
guest_world "$G" pv --pv
guest_dump_in_gdb "$G" pv
expect xen.magic 0xf00febed
say "its page tables hold machine frames: the CR3 page is not QEMU's"
cr3=$((0x$(sed -n 's/.*CR3=\([0-9a-f]*\).*/\1/p' "$G/registers.txt" | head -n 1)))
# offset CORE ADDR: the file offset of guest-physical ADDR (the first PT_LOAD over it)
offset() {
  local typ off pa fsz rest
  while read -r typ off _ pa fsz rest; do
    [ "$typ" = LOAD ] && [ $(($2 >= pa && $2 < pa + fsz)) = 1 ] && { echo $((off + $2 - pa)); return; }
  done < <(readelf -lW "$1")
}
# A PV core's p_paddr is a machine address (docs/FORMAT.md): the CR3 pfn's page is at the
# machine frame the world gave that pfn.
mcr3=$(( $("$XSIM" frame "$T/pv" 1 $((cr3 >> 12))) << 12 ))
qoff=$(offset "$G/phys.core" $cr3); xoff=$(offset "$T/pv.core" $mcr3)
[ -n "$qoff" ] && [ -n "$xoff" ] || fail "CR3 $cr3 is in no PT_LOAD"
if cmp -s -n 4096 -i "$qoff:$xoff" "$G/phys.core" "$T/pv.core"; then
  fail "the PV guest's top page table is the native one: pv-pagetables did not rewrite it"
fi

say "gdb opens xdump's core without a warning"
guest_no_gdb_warning "$T/pv.core"
