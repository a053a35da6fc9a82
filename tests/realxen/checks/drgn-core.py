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


def vcpu_regs(path, vcpu):
    """pr_reg (user_regs_struct = the head of struct pt_regs) of the vCPU's NT_PRSTATUS."""
    with open(path, "rb") as f:
        eh = f.read(64)
        phoff, phentsize, phnum = struct.unpack_from("<Q", eh, 32)[0], *struct.unpack_from("<HH", eh, 54)
        for i in range(min(phnum, 65535)):
            f.seek(phoff + i * phentsize)
            p_type, _, p_offset, _, _, p_filesz = struct.unpack("<IIQQQQ", f.read(40))
            if p_type != 4:  # PT_NOTE
                continue
            f.seek(p_offset)
            notes, off = f.read(p_filesz), 0
            while off + 12 <= len(notes):
                namesz, descsz, ntype = struct.unpack_from("<III", notes, off)
                name = notes[off + 12 : off + 12 + namesz]
                desc = off + 12 + (namesz + 3) // 4 * 4
                if name == b"CORE\0" and ntype == 1 and struct.unpack_from("<I", notes, desc + 32)[0] == vcpu + 1:
                    return notes[desc + 112 : desc + 112 + 21 * 8]
                off = desc + (descsz + 3) // 4 * 4
    return None


core = sys.argv[1]
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
