# SPDX-License-Identifier: GPL-2.0-or-later
# Run by checks/readers.sh with Debian's /usr/bin/python3 (python3-libkdumpfile): what
# libkdumpfile, a reader no one here wrote, reads from a core. One key=value line each.
#
#   kdumpfile-check.py pages CORE XL_CORE [XEN_WRITTEN_PFNS]
#       every pfn of Xen's own dumper's core (its .xen_pages / .xen_p2m or .xen_pfn, read here
#       with struct, not with libkdumpfile or xdump) read from CORE through libkdumpfile
#       (KPHYSADDR, the guest's pseudo-physical space) and compared; the pages Xen writes into
#       a paused guest (comma-separated pfns) are counted apart. Also: what libkdumpfile says of
#       the core (format, max_pfn, the kernel's version from VMCOREINFO), and its vCPU
#       registers against the core's NT_PRSTATUS notes (parsed here).
#   kdumpfile-check.py image KDUMP REF_CORE FIRST-END...
#       every pfn of each range [FIRST, END) - the kernel image's text, rodata, data and bss -
#       must be in KDUMP (a filtered makedumpfile output) and equal REF_CORE's page, but for
#       pages of zeros (-d 1 drops them by design): no page the kernel needs was dropped.
#   kdumpfile-check.py flip CORE PFN OUT
#       a copy of CORE with one byte of pfn's page changed (the negative control of "pages").
import shutil
import struct
import sys

import kdumpfile

PAGE = 4096


def out(key, value):
    print(f"{key}={value}", flush=True)


def sections(path):
    """{name: (offset, size)} of an ELF file's sections."""
    with open(path, "rb") as f:
        eh = f.read(64)
        shoff, = struct.unpack_from("<Q", eh, 40)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", eh, 58)
        f.seek(shoff)
        sh = [struct.unpack("<IIQQQQIIQQ", f.read(shentsize)) for _ in range(shnum)]
        f.seek(sh[shstrndx][4])
        names = f.read(sh[shstrndx][5])
    return {names[s[0] : names.index(b"\0", s[0])].decode(): (s[4], s[5]) for s in sh}


def xen_pages(path):
    """[(pfn, file offset of its page)] of a Xen dump-core file, from its own index."""
    sec = sections(path)
    pv = ".xen_p2m" in sec
    ioff, isize = sec[".xen_p2m" if pv else ".xen_pfn"]
    poff, _ = sec[".xen_pages"]
    esz = 16 if pv else 8
    with open(path, "rb") as f:
        f.seek(ioff)
        idx = f.read(isize)
    res = []
    for i in range(isize // esz):
        pfn, = struct.unpack_from("<Q", idx, i * esz)
        if pfn != 0xFFFFFFFFFFFFFFFF:
            res.append((pfn, poff + i * PAGE))
    return res


def open_linux(path):
    k = kdumpfile.kdumpfile(path)
    # libkdumpfile 0.5.1 translates KPHYSADDR of a Xen core only once told the OS (without it, a
    # PVH core reads no pfn: "Page not found")
    k.attr["addrxlat.ostype"] = "linux"
    return k


def prstatus(path):
    """{vcpu: pr_reg words} of the core's NT_PRSTATUS notes."""
    regs = {}
    with open(path, "rb") as f:
        eh = f.read(64)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phnum, = struct.unpack_from("<H", eh, 56)
        for i in range(min(phnum, 65535)):
            f.seek(phoff + 56 * i)
            p_type, _, p_offset, _, _, p_filesz = struct.unpack("<IIQQQQ", f.read(40))
            if p_type != 4:
                continue
            f.seek(p_offset)
            data, off = f.read(p_filesz), 0
            while off + 12 <= len(data):
                namesz, descsz, ntype = struct.unpack_from("<III", data, off)
                desc = off + 12 + (namesz + 3) // 4 * 4
                if data[off + 12 : off + 12 + namesz] == b"CORE\0" and ntype == 1:
                    pid, = struct.unpack_from("<I", data, desc + 32)
                    regs[pid - 1] = struct.unpack_from("<27Q", data, desc + 112)
                off = desc + (descsz + 3) // 4 * 4
    return regs


PR_NAMES = ["r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx",
            "rdx", "rsi", "rdi", None, "rip", "cs", "rflags", "rsp", "ss", "fs_base", "gs_base"]


def pages(core, xl, xen_written):
    k = open_linux(core)
    a = k.attr
    out("format", a["file.format"])
    out("max_pfn", a["max_pfn"])
    out("linux.version_code", a.get("linux.version_code", "none"))
    out("linux.uts.release", a.get("linux.uts.release", "none"))
    out("vmcoreinfo.osrelease", a.get("linux.vmcoreinfo.lines.OSRELEASE", "none"))
    compared = equal = unreadable = 0
    diff, xenw = [], []
    with open(xl, "rb") as f:
        for pfn, off in xen_pages(xl):
            f.seek(off)
            want = f.read(PAGE)
            try:
                got = k.read(kdumpfile.KDUMP_KPHYSADDR, pfn * PAGE, PAGE)
            except Exception:
                unreadable += 1
                continue
            compared += 1
            if got == want:
                equal += 1
            else:
                (xenw if pfn in xen_written else diff).append(pfn)
    out("pages.compared", compared)
    out("pages.equal", equal)
    out("pages.unreadable", unreadable)
    out("pages.different", len(diff))
    out("pages.different_first", ",".join(hex(p) for p in diff[:8]))
    out("pages.different_xen_written", len(xenw))
    ours = prstatus(core)
    nbad = 0
    for v, words in sorted(ours.items()):
        try:
            theirs = {n: a[f"cpu.{v}.reg.{n}"] for n in PR_NAMES if n}
        except KeyError as e:
            out(f"regs.vcpu{v}", f"missing {e}")
            nbad += 1
            continue
        bad = [n for i, n in enumerate(PR_NAMES) if n and theirs[n] != words[i]]
        out(f"regs.vcpu{v}", "equal" if not bad else "DIFFERENT " + ",".join(bad))
        nbad += bool(bad)
    out("regs.vcpus", len(ours))
    out("regs.libkdumpfile_cpus", a.get("cpu.number", 0))
    out("regs.different", nbad)


def image(kdump, ref, ranges):
    k, r = open_linux(kdump), open_linux(ref)
    missing = different = ok = total = zero = 0
    dropped = []
    pfns = [p for a, b in ranges for p in range(a, b)]
    for pfn in pfns:
        total += 1
        try:
            want = r.read(kdumpfile.KDUMP_KPHYSADDR, pfn * PAGE, PAGE)
        except Exception:
            continue  # not in the core either (a hole of the image)
        if want == bytes(PAGE):
            zero += 1  # -d 1 drops zero pages: what they hold is known (crash -z reads zeros)
            continue
        try:
            got = k.read(kdumpfile.KDUMP_KPHYSADDR, pfn * PAGE, PAGE)
        except Exception:
            missing += 1
            dropped.append(pfn)
            continue
        ok += got == want
        different += got != want
    out("image.pages", total)
    out("image.kept", ok)
    out("image.zero", zero)
    out("image.dropped", missing)
    out("image.dropped_first", ",".join(hex(p) for p in dropped[:8]))
    out("image.different", different)


def flip(core, pfn, dst):
    shutil.copyfile(core, dst)
    sec = sections(core)
    pv = ".xen_p2m" in sec
    for p, off in xen_pages(core):
        if p == pfn:
            with open(dst, "r+b") as f:
                f.seek(off + 123)
                b = f.read(1)
                f.seek(off + 123)
                f.write(bytes([b[0] ^ 0x5A]))
            out("flipped", f"{pfn:#x} at {off + 123:#x} ({'PV' if pv else 'HVM'})")
            return
    out("flipped", "none")


if sys.argv[1] == "pages":
    xw = {int(x, 0) for x in sys.argv[4].split(",") if x} if len(sys.argv) > 4 else set()
    pages(sys.argv[2], sys.argv[3], xw)
elif sys.argv[1] == "image":
    image(sys.argv[2], sys.argv[3], [tuple(int(x, 0) for x in r.split("-")) for r in sys.argv[4:]])
elif sys.argv[1] == "flip":
    flip(sys.argv[2], int(sys.argv[3], 0), sys.argv[4])
