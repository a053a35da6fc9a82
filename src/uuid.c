/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "uuid.h"

void xd_uuid_text(const uint8_t u[16], char out[XD_UUID_TEXT])
{
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[u[i] >> 4];
        *p++ = hex[u[i] & 15];
    }
    *p = '\0';
}
