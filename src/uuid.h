/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A domain's UUID as text, the one way xdump writes it (RFC 4122's 8-4-4-4-12 lower-case hex):
   the crash hook's state file and log, and `xdump info`. */
#ifndef XD_UUID_H
#define XD_UUID_H

#include <stdint.h>

#define XD_UUID_TEXT 37 /* 36 characters and the NUL */

void xd_uuid_text(const uint8_t u[16], char out[XD_UUID_TEXT]);

#endif
