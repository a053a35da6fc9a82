/* SPDX-License-Identifier: GPL-2.0-or-later */
/* src/format.h: the byte helpers are little-endian whatever the value, and the section names
   are the bytes xdump has always written (spelled out here independently of format.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "format.h"

Test(format, little_endian_helpers)
{
    uint8_t b[8];
    xd_put_le16(b, 0x0102);
    cr_assert(b[0] == 0x02 && b[1] == 0x01);
    xd_put_le32(b, 0x01020304u);
    cr_assert(b[0] == 0x04 && b[1] == 0x03 && b[2] == 0x02 && b[3] == 0x01);
    xd_put_le64(b, UINT64_C(0x0102030405060708));
    for (int i = 0; i < 8; i++)
        cr_assert_eq(b[i], 8 - i);
    cr_assert_eq(xd_get_le16(b), 0x0708);
    cr_assert_eq(xd_get_le32(b), 0x05060708u);
    cr_assert_eq(xd_get_le64(b), UINT64_C(0x0102030405060708));
    memset(b, 0xff, sizeof(b));
    cr_assert_eq(xd_get_le64(b), UINT64_MAX);
    cr_assert_eq(xd_get_le32(b + 4), UINT32_MAX);
}

Test(format, section_names)
{
    static const char want[] = "\0.shstrtab\0.note.Xen\0.xen_prstatus\0.xen_shared_info\0"
                               ".xen_pages\0.xen_p2m\0.xen_pfn";
    cr_assert_eq(XD_SHSTRTAB_SIZE, sizeof(want));
    cr_assert_eq(memcmp(XD_SHSTRTAB, want, sizeof(want)), 0);
    cr_assert_eq(xd_shstrtab_name(".shstrtab"), 1);
    cr_assert_eq(xd_shstrtab_name(".note.Xen"), 11);
    cr_assert_eq(xd_shstrtab_name(".xen_prstatus"), 21);
    cr_assert_eq(xd_shstrtab_name(".xen_shared_info"), 35);
    cr_assert_eq(xd_shstrtab_name(".xen_pages"), 52);
    cr_assert_eq(xd_shstrtab_name(".xen_p2m"), 63);
    cr_assert_eq(xd_shstrtab_name(".xen_pfn"), 72);
    cr_assert_eq(xd_shstrtab_name(".xen"), 0);
    cr_assert_eq(XD_SEC_MAX, 7);
}

Test(format, note_sizes)
{
    cr_assert_eq(xd_note_size(sizeof(XD_NOTE_XDUMP), 0), 12 + 8);
    cr_assert_eq(xd_note_size(sizeof(XD_NOTE_CORE), XD_PRSTATUS_SIZE), 12 + 8 + 336);
    cr_assert_eq(xd_note_size(sizeof(XD_NOTE_VMCOREINFO), 13), 12 + 12 + 16);
}
