# SPDX-License-Identifier: GPL-2.0-or-later
# Run by checks/linuxcrash.sh as `drgn -q -c CORE -s VMLINUX --main-symbols drgn-core.py CORE`:
# what drgn reads from an xdump core of a crashed Linux guest, one key=value (or "dmesg:" /
# "trace:") line each; the host check compares them with what the guest said on its console.
#
# The crashing task's stack: drgn's own crashed_thread() follows kdump's conventions (the
# kernel's crashing_cpu, set only by kexec, and NT_PRSTATUS pr_pid = the pid running on that
# CPU), which a dump taken from outside the guest cannot meet without the guest's symbols (the
# core's pr_pid is vCPU id + 1). So the panicking CPU comes from the kernel's panic_cpu, and the
# trace from that vCPU's registers in the core, as a struct pt_regs.
import struct
import sys

from drgn import Object
from drgn.helpers.linux.percpu import per_cpu
from drgn.helpers.linux.printk import get_dmesg


def out(key, value):
    print(f"{key}={value}", flush=True)


def notes(path):
    """(name, type, descriptor) of every note in the core's PT_NOTE segments."""
    with open(path, "rb") as f:
        eh = f.read(64)
        phoff, phentsize, phnum = struct.unpack_from("<Q", eh, 32)[0], *struct.unpack_from("<HH", eh, 54)
        for i in range(min(phnum, 65535)):
            f.seek(phoff + i * phentsize)
            p_type, _, p_offset, _, _, p_filesz = struct.unpack("<IIQQQQ", f.read(40))
            if p_type != 4:  # PT_NOTE
                continue
            f.seek(p_offset)
            data, off = f.read(p_filesz), 0
            while off + 12 <= len(data):
                namesz, descsz, ntype = struct.unpack_from("<III", data, off)
                desc = off + 12 + (namesz + 3) // 4 * 4
                yield data[off + 12 : off + 12 + namesz], ntype, data[desc : desc + descsz]
                off = desc + (descsz + 3) // 4 * 4


def vcpu_regs(path, vcpu):
    """pr_reg (user_regs_struct = the head of struct pt_regs) of the vCPU's NT_PRSTATUS."""
    for name, ntype, desc in notes(path):
        if name == b"CORE\0" and ntype == 1 and struct.unpack_from("<I", desc, 32)[0] == vcpu + 1:
            return desc[112 : 112 + 21 * 8]
    return None


def vcpu_gs(path):
    """[(vcpu, rip, gs_base, kernel_gs_base)]: each NT_PRSTATUS (pr_reg words 16 and 22) with the
    QEMU note of the same rank (QEMUCPUState's kernel_gs_base at 432, as QEMU's dump/dump.c lays
    it out)."""
    prs, qemu = [], []
    for name, ntype, desc in notes(path):
        if name == b"CORE\0" and ntype == 1:
            rip, gs = (struct.unpack_from("<Q", desc, 112 + 8 * k)[0] for k in (16, 22))
            prs.append((struct.unpack_from("<I", desc, 32)[0] - 1, rip, gs))
        elif name == b"QEMU\0" and len(desc) >= 440:
            qemu.append(struct.unpack_from("<Q", desc, 432)[0])
    return [(v, rip, gs, qemu[k] if k < len(qemu) else None) for k, (v, rip, gs) in enumerate(prs)]


core = sys.argv[1]
# The GS base of each vCPU against the guest's own per-CPU offsets: a vCPU halted in the kernel
# runs on its CPU's per-CPU area, so the live GS base (NT_PRSTATUS gs_base) must be
# __per_cpu_offset[cpu] as the kernel set it at boot, and the QEMU note's kernel_gs_base (the
# swapgs shadow) the other base: not the per-CPU area (a user-space GS base, usually 0).
try:
    pco = prog["__per_cpu_offset"]
    for vcpu, rip, gs, kgs in vcpu_gs(core):
        in_kernel = rip >= 0xFFFF800000000000
        want = pco[vcpu].value_()
        ok = in_kernel and gs == want and kgs is not None and kgs != want and kgs < 0x800000000000
        out(f"gs.vcpu{vcpu}", f"{'ok' if ok else 'bad'} rip={rip:#x} gs_base={gs:#x} "
            f"per_cpu_offset={want:#x} kernel_gs_base={kgs if kgs is None else hex(kgs)}")
except Exception as e:
    out("gs.error", repr(e))
out("init_task.comm", prog["init_task"].comm.string_().decode())
out("osrelease", prog["init_uts_ns"].name.release.string_().decode())
try:
    dmesg = get_dmesg(prog).decode(errors="replace")
    out("dmesg.lines", len(dmesg.splitlines()))
    for line in dmesg.splitlines():
        if "XDUMP-GUEST-MARK" in line or "sysrq" in line.lower() or "Kernel panic" in line:
            print("dmesg: " + line)
except Exception as e:  # said, not hidden: the check then fails on the missing lines
    out("dmesg.error", repr(e))
try:
    thread = prog.crashed_thread()
    out("crashed_thread", f"{thread.tid} {thread.object.comm.string_().decode()} (drgn's kdump convention)")
except Exception as e:
    out("crashed_thread.error", repr(e))
try:
    cpu = prog["panic_cpu"].counter.value_()
    out("panic_cpu", cpu)
    task = per_cpu(prog["runqueues"], cpu).curr
    out("panic_task", f"{task.pid.value_()} {task.comm.string_().decode()}")
    raw = vcpu_regs(core, cpu)
    if raw is None:
        out("trace.error", f"no NT_PRSTATUS for vCPU {cpu}")
    else:
        regs = Object.from_bytes_(prog, "struct pt_regs", raw.ljust(prog.type("struct pt_regs").size, b"\0"))
        for i, frame in enumerate(prog.stack_trace(regs)):
            if i == 48 or not frame.pc:  # into user space: the kernel part is what counts
                break
            print("trace: " + (frame.name or hex(frame.pc)))
except Exception as e:
    out("trace.error", repr(e))
