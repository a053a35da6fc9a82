# SPDX-License-Identifier: GPL-2.0-or-later
# The notes of an ELF core or of a kdump-compressed file, read with struct alone (no xdump
# code): shared by the host checks drgn-core.py and kdumpfile-check.py.
import struct


def _records(data):
    off = 0
    while off + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from("<III", data, off)
        desc = off + 12 + (namesz + 3) // 4 * 4
        yield data[off + 12 : off + 12 + namesz], ntype, data[desc : desc + descsz]
        off = desc + (descsz + 3) // 4 * 4


def notes(path):
    """(name, type, descriptor) of every note in the core's PT_NOTE segments, or in a kdump
    file's note area (makedumpfile's diskdump_mod.h: block_size at 428 of the header, the
    kdump_sub_header one block in, its offset_note and size_note at 48 and 56)."""
    with open(path, "rb") as f:
        eh = f.read(464)
        if eh[:8] == b"KDUMP   ":
            block = struct.unpack_from("<i", eh, 428)[0]
            f.seek(block)
            offset_note, size_note = struct.unpack_from("<QQ", f.read(104), 48)
            f.seek(offset_note)
            yield from _records(f.read(size_note))
            return
        phoff, phentsize, phnum = struct.unpack_from("<Q", eh, 32)[0], *struct.unpack_from("<HH", eh, 54)
        for i in range(min(phnum, 65535)):
            f.seek(phoff + i * phentsize)
            p_type, _, p_offset, _, _, p_filesz = struct.unpack("<IIQQQQ", f.read(40))
            if p_type != 4:  # PT_NOTE
                continue
            f.seek(p_offset)
            yield from _records(f.read(p_filesz))
