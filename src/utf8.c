/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UTF-8 validation and repair: see utf8.h. */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

size_t xd_utf8_len(const unsigned char *p)
{
    unsigned cp;
    size_t n;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2, cp = p[0] & 0x1f;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3, cp = p[0] & 0x0f;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4, cp = p[0] & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    /* no overlong forms, no surrogates, nothing beyond U+10FFFF (RFC 3629) */
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

char *xd_utf8_sanitize(const char *s)
{
    size_t len = strlen(s);
    char *out = malloc(3 * len + 1), *o = out; /* each bad byte grows to three */
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = *p < 0x80 ? 1 : xd_utf8_len(p);
        if (n) {
            memcpy(o, p, n);
            o += n, p += n;
        } else {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3, p++;
        }
    }
    *o = 0;
    return out;
}
