/* SPDX-License-Identifier: GPL-2.0-or-later */
/* src/uuid.c: the text of a UUID, against RFC 4122's own example and the extremes. */
#include <criterion/criterion.h>
#include <string.h>

#include "uuid.h"

Test(uuid, rfc4122_example)
{
    /* RFC 4122 appendix B's name-based example, 3d813cbb-47fb-32ba-91df-831e1593ac29. */
    static const uint8_t u[16] = {0x3d, 0x81, 0x3c, 0xbb, 0x47, 0xfb, 0x32, 0xba,
                                  0x91, 0xdf, 0x83, 0x1e, 0x15, 0x93, 0xac, 0x29};
    char t[XD_UUID_TEXT];
    memset(t, 'x', sizeof(t));
    xd_uuid_text(u, t);
    cr_assert_str_eq(t, "3d813cbb-47fb-32ba-91df-831e1593ac29");
}

Test(uuid, extremes)
{
    uint8_t u[16];
    char t[XD_UUID_TEXT];
    memset(u, 0, sizeof(u));
    xd_uuid_text(u, t);
    cr_assert_str_eq(t, "00000000-0000-0000-0000-000000000000");
    memset(u, 0xff, sizeof(u));
    xd_uuid_text(u, t);
    cr_assert_str_eq(t, "ffffffff-ffff-ffff-ffff-ffffffffffff");
    cr_assert_eq(strlen(t), XD_UUID_TEXT - 1);
}
