/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef XD_ERR_H
#define XD_ERR_H

#include <stddef.h>

/*
 * The one way a module fails: the message (one line, no trailing newline) is formatted into the
 * caller's buffer and the negated xdump status (XDUMP_E_*) comes back, so that a failure path is
 * `return xd_fail(buf, len, XDUMP_E_XEN, "...", ...);`. Each module names its buffer once, in a
 * macro `fail(owner, status, ...)`.
 */
int xd_fail(char *buf, size_t len, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
