# Field truth (issue 14, defect 2): the GS base of each vCPU. The world gives each vCPU's context
# as Xen's getvcpucontext returns it, and which of its two bases is live follows Xen's source,
# not xdump's: xen/arch/x86/domctl.c, arch_get_info_guest() (4.17.7 lines 1490-1499: an HVM vCPU
# in ring 0 has its live base in gs_base_kernel and MSR_SHADOW_GS_BASE in gs_base_user, in ring 3
# the other way round; lines 1524-1525, 1556: a PV vCPU's bases are per mode, VGCF_in_kernel
# says the mode). Readers: gdb's `info registers gs_base` (NT_PRSTATUS) and the QEMU note's
# kernel_gs_base (QEMUCPUState offset 432, as QEMU's dump/dump.c lays it out), read here with
# python, not with xdump's reader.
. "$(dirname "$0")/lib.sh"
KB=0xffff888007a00000 UB=0x00007f1234560000 KB1=0xffff888007c00000 UB1=0x00007fabcdef0000
world w <<W
domain 3
  name  hvm-gs
  type  hvm
  memory 8M
  vcpus 2
  vcpu  0 cs=0x10 ss=0x18 gs_base_kernel=$KB gs_base_user=$UB
  vcpu  1 cs=0x33 ss=0x2b gs_base_kernel=$KB1 gs_base_user=$UB1
domain 4
  name  pvh-gs
  type  pvh
  memory 8M
  vcpus 1
  vcpu  0 cs=0x10 ss=0x18 gs_base_kernel=$KB gs_base_user=$UB
domain 5
  name  pv-gs
  memory 8M
  vcpus 2
  vcpu  0 gs_base_kernel=$KB gs_base_user=$UB
  vcpu  1 in_kernel=0 gs_base_kernel=$KB1 gs_base_user=$UB1
W

# gs CORE: "live shadow" of each vCPU, in note order: gdb's gs_base, the QEMU note's field.
gs() {
  gdb -batch -nx -c "$1" -ex 'thread apply all -ascending info registers gs_base' 2>&1 |
    awk '$1 == "gs_base" { print $2 }' > "$1.gdb"
  python3 - "$1" > "$1.qemu" <<'P'
import struct, sys
d = open(sys.argv[1], "rb").read()
phoff, = struct.unpack_from("<Q", d, 32)
phnum, = struct.unpack_from("<H", d, 56)
for i in range(phnum):
    t, _, off, _, _, sz = struct.unpack_from("<IIQQQQ", d, phoff + 56 * i)
    if t != 4:
        continue
    p = off
    while p + 12 <= off + sz:
        nsz, dsz, typ = struct.unpack_from("<III", d, p)
        desc = p + 12 + (nsz + 3) // 4 * 4
        if d[p + 12:p + 12 + nsz] == b"QEMU\0":
            print(hex(struct.unpack_from("<Q", d, desc + 432)[0]))
        p = desc + (dsz + 3) // 4 * 4
P
  paste -d' ' "$1.gdb" "$1.qemu"
}
hex() { printf '0x%x' "$1"; }

for dom in 3 4 5; do
  sim w "$XDUMP" $dom "$T/d$dom.core" > /dev/null || fail "xdump $dom"
done
say "HVM, ring 0: gs_base is gs_base_kernel; ring 3: gs_base_user (Xen's arch_get_info_guest)"
want="$(hex $KB) $(hex $UB)
$(hex $UB1) $(hex $KB1)"
got=$(gs "$T/d3.core")
[ "$got" = "$want" ] || fail "HVM: live/shadow GS bases are '$got', expected '$want'"
say "PVH, ring 0: the same"
got=$(gs "$T/d4.core")
[ "$got" = "$(hex $KB) $(hex $UB)" ] || fail "PVH: live/shadow GS bases are '$got'"
say "PV: the mode VGCF_in_kernel says decides which base is live"
got=$(gs "$T/d5.core")
[ "$got" = "$want" ] || fail "PV: live/shadow GS bases are '$got', expected '$want'"
say "HVM without the save record (Xen gives no HVM context): the same, from getvcpucontext"
world nohvm <<W
domain 6
  name  hvm-nosave
  type  hvm
  memory 8M
  vcpus 2
  vcpu  0 cs=0x10 ss=0x18 gs_base_kernel=$KB gs_base_user=$UB
  vcpu  1 cs=0x33 ss=0x2b gs_base_kernel=$KB1 gs_base_user=$UB1
  fault no-hvm-context
W
sim nohvm "$XDUMP" 6 "$T/d6.core" > /dev/null 2>&1 || fail "xdump 6"
got=$(gs "$T/d6.core")
[ "$got" = "$want" ] || fail "HVM (no save record): live/shadow GS bases are '$got', expected '$want'"
