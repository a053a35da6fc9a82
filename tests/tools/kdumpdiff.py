#!/usr/bin/python3
# kdumpdiff.py A B - the pfns two kdump-compressed files keep, compared pfn by pfn: bitmap 2
# (dumpable) of each, read by the layout makedumpfile documents (IMPLEMENTATION, diskdump_mod.h:
# header block, sub-header, then bitmap 1 and bitmap 2 of bitmap_blocks / 2 blocks each).
# Prints key=value lines: kept.a, kept.b, only_a, only_b, and the runs only one keeps
# (only_a.runs=FIRST+COUNT,...). Shares nothing with xdump.
import struct
import sys


def bitmap2(path):
    with open(path, "rb") as f:
        h = f.read(464)
        block, sub_blocks, bitmap_blocks = struct.unpack_from("<iiI", h, 428)
        f.seek((1 + sub_blocks + bitmap_blocks // 2) * block)
        return f.read(bitmap_blocks // 2 * block)


def runs(bits):
    out, start, prev = [], None, None
    for p in bits:
        if start is not None and p == prev + 1:
            prev = p
            continue
        if start is not None:
            out.append((start, prev - start + 1))
        start = prev = p
    if start is not None:
        out.append((start, prev - start + 1))
    return out


def setbits(bm):
    return {i * 8 + b for i, byte in enumerate(bm) if byte for b in range(8) if byte >> b & 1}


a, b = (setbits(bitmap2(p)) for p in sys.argv[1:3])
print(f"kept.a={len(a)}")
print(f"kept.b={len(b)}")
for name, s in (("only_a", a - b), ("only_b", b - a)):
    print(f"{name}={len(s)}")
    print(f"{name}.runs=" + (",".join(f"{p:#x}+{n}" for p, n in runs(sorted(s))) or "none"))
