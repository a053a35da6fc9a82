/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UTF-8 as JSON needs it: text from a guest, a core or xenstore may be anything. */
#ifndef XD_UTF8_H
#define XD_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence of two to four bytes at p, or 0 (also for ASCII). */
size_t xd_utf8_len(const unsigned char *p);
/* A copy of s in which each byte that starts no valid sequence is U+FFFD (malloc'd; NULL when
   out of memory). */
char *xd_utf8_sanitize(const char *s);

#endif
