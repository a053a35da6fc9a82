# SPDX-License-Identifier: GPL-2.0-or-later
# The notes of an ELF core, read with struct alone (no xdump code): shared by the host checks
# drgn-core.py and kdumpfile-check.py.
import struct


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
