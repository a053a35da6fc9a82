/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

int xd_fail(char *buf, size_t len, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (buf && len)
        vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return -status;
}
