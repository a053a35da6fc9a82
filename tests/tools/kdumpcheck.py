#!/usr/bin/python3
# The oracle of xdump's kdump-compressed files (run with Debian's /usr/bin/python3, where
# python3-libkdumpfile is): every page libkdumpfile - a reader no one here wrote - reads from
# the file is judged against the simulated guest's memory, read from the world's own files
# (domN.runs, domN.mem: tests/xensim/world.h), never through xdump. The headers, the
# descriptors and the notes are also parsed here with struct, by the layout makedumpfile
# documents (its IMPLEMENTATION, diskdump_mod.h), to count what libkdumpfile does not say.
#
#   kdumpcheck.py WORLD DOMID KDUMP [UNMAPPABLE]
#
# UNMAPPABLE: "PFN+COUNT,..." frames the world fails to map: they must read as zeros.
# Prints key=value lines; exits 1 only when the file cannot be opened.
import struct
import sys

import kdumpfile

PAGE = 4096


def out(key, value):
    print(f"{key}={value}", flush=True)


def world_runs(world, domid):
    with open(f"{world}/dom{domid}.runs", "rb") as f:
        data = f.read()
    return [struct.unpack_from("<QQQ", data, i) for i in range(0, len(data) - 23, 24)]


def parse(path):
    """The header's and sub-header's fields, both bitmaps and the descriptors."""
    with open(path, "rb") as f:
        h = f.read(464)
        sig = h[:8]
        version, = struct.unpack_from("<i", h, 8)
        machine = h[12 + 4 * 65 : 12 + 5 * 65].split(b"\0")[0].decode()
        release = h[12 + 2 * 65 : 12 + 3 * 65].split(b"\0")[0].decode()
        status, block, sub_blocks, bitmap_blocks, max_mapnr = struct.unpack_from("<IiiII", h, 424)
        nr_cpus, = struct.unpack_from("<i", h, 460)
        f.seek(block)
        s = f.read(104)
        phys_base, level = struct.unpack_from("<Qi", s, 0)
        off_vmci, size_vmci, off_note, size_note = struct.unpack_from("<QQQQ", s, 32)
        max_mapnr64, = struct.unpack_from("<Q", s, 96)
        f.seek(off_note)
        notes = f.read(size_note)
        f.seek(off_vmci)
        vmci = f.read(size_vmci) if off_vmci else b""
        bm_off = (1 + sub_blocks) * block
        half = bitmap_blocks * block // 2
        f.seek(bm_off)
        bm1 = f.read(half)
        bm2 = f.read(half)
        ndump = sum(bin(b).count("1") for b in bm2)
        descs = [struct.unpack("<qIIQ", f.read(24)) for _ in range(ndump)]
    return dict(sig=sig, version=version, machine=machine, release=release, status=status,
                block=block, nr_cpus=nr_cpus, phys_base=phys_base, level=level,
                vmci=vmci, notes=notes, max_mapnr=max_mapnr64, bm1=bm1, bm2=bm2, descs=descs,
                data_off=bm_off + 2 * half + 24 * ndump)


def notes_of(buf):
    res, at = [], 0
    while at + 12 <= len(buf):
        namesz, descsz, ntype = struct.unpack_from("<III", buf, at)
        name = buf[at + 12 : at + 12 + namesz]
        d = at + 12 + (namesz + 3) // 4 * 4
        res.append((name, ntype, buf[d : d + descsz]))
        at = d + (descsz + 3) // 4 * 4
    return res


def bit(bm, pfn):
    return pfn // 8 < len(bm) and bm[pfn // 8] >> (pfn % 8) & 1


def main():
    world, domid, path = sys.argv[1:4]
    bad = set()
    if len(sys.argv) > 4 and sys.argv[4]:
        for item in sys.argv[4].split(","):
            first, count = item.split("+")
            bad.update(range(int(first, 0), int(first, 0) + int(count, 0)))
    try:
        k = kdumpfile.kdumpfile(path)
        k.attr["addrxlat.ostype"] = "linux"
    except Exception as e:
        out("open", f"failed: {e}")
        sys.exit(1)
    a = k.attr
    out("format", a["file.format"])
    out("max_pfn", a["max_pfn"])
    out("arch", a.get("arch.name", "none"))
    out("cpus", a.get("cpu.number", "none"))
    out("vmcoreinfo.osrelease", a.get("linux.vmcoreinfo.lines.OSRELEASE", "none"))
    p = parse(path)
    out("header.signature", p["sig"].decode())
    out("header.version", p["version"])
    out("header.machine", p["machine"])
    out("header.release", p["release"] or "none")
    out("header.status", hex(p["status"]))
    out("header.block_size", p["block"])
    out("header.nr_cpus", p["nr_cpus"])
    out("sub.dump_level", p["level"])
    out("sub.phys_base", hex(p["phys_base"]))
    out("sub.max_mapnr", p["max_mapnr"])
    out("sub.vmcoreinfo_starts", p["vmci"][:10].decode(errors="replace") or "none")
    ns = notes_of(p["notes"])
    out("notes.prstatus", sum(1 for n, t, _ in ns if n == b"CORE\0" and t == 1))
    out("notes.qemu", sum(1 for n, t, _ in ns if n == b"QEMU\0" and t == 0))
    out("notes.vmcoreinfo", sum(1 for n, t, _ in ns if n == b"VMCOREINFO\0"))
    out("notes.xdump_description", sum(1 for n, t, _ in ns if n == b"XDUMP\0" and t == 0x58440002))
    out("notes.xen", sum(1 for n, t, _ in ns if n == b"Xen\0"))
    unm = [d for n, t, d in ns if n == b"XDUMP\0" and t == 0x58440001]
    runs_listed = [struct.unpack_from("<QQi", unm[0], i) for i in range(0, len(unm[0]), 24)] if unm else []
    out("notes.unmappable", ",".join(f"{p_:#x}+{c}" for p_, c, _ in runs_listed) or "none")

    runs = world_runs(world, domid)
    present = {}
    for pfn, count, rank in runs:
        for i in range(count):
            present[pfn + i] = rank + i
    shared_zero = p["data_off"]
    rank_of = {}
    r = 0
    for pfn in range(p["max_mapnr"]):
        if bit(p["bm2"], pfn):
            rank_of[pfn] = r
            r += 1
    equal = differ = unreadable = zero = zero_shared = raw = bad_zero = 0
    in_bm1 = in_bm2 = 0
    first_diff = "none"
    with open(f"{world}/dom{domid}.mem", "rb") as mem:
        for pfn in sorted(present):
            mem.seek(present[pfn] * PAGE)
            want = mem.read(PAGE).ljust(PAGE, b"\0")
            if pfn in bad:
                want = bytes(PAGE)
            in_bm1 += bit(p["bm1"], pfn)
            in_bm2 += bit(p["bm2"], pfn)
            try:
                got = k.read(kdumpfile.KDUMP_MACHPHYSADDR, pfn * PAGE, PAGE)
            except Exception:
                unreadable += 1
                continue
            if got == want:
                equal += 1
            else:
                differ += 1
                if first_diff == "none":
                    first_diff = hex(pfn)
            if pfn in bad and got == bytes(PAGE):
                bad_zero += 1
            if want == bytes(PAGE):
                zero += 1
            if pfn in rank_of:
                off, size, flags, _ = p["descs"][rank_of[pfn]]
                zero_shared += off == shared_zero
                raw += flags == 0 and size == PAGE and off != shared_zero
    holes_readable = 0
    for pfn in range(min(p["max_mapnr"], a["max_pfn"])):
        if pfn in present:
            continue
        try:
            k.read(kdumpfile.KDUMP_MACHPHYSADDR, pfn * PAGE, PAGE)
            holes_readable += 1
        except Exception:
            pass
    out("pages.present", len(present))
    out("pages.bitmap1", in_bm1)
    out("pages.bitmap2", in_bm2)
    out("pages.equal", equal)
    out("pages.differ", differ)
    out("pages.first_differ", first_diff)
    out("pages.unreadable", unreadable)
    out("pages.zero", zero)
    out("pages.zero_shared", zero_shared)
    out("pages.raw", raw)
    out("pages.unmappable_zero", bad_zero)
    out("holes.readable", holes_readable)


main()
