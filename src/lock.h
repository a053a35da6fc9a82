/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One dumper per domain: an advisory lock keyed by domain id, released when the process ends
   however it ends (flock). */
#ifndef XD_LOCK_H
#define XD_LOCK_H

#include <stddef.h>
#include <stdint.h>

/* The directory of the lock files: $XDUMP_LOCK_DIR, else /run/lock. */
const char *xd_lock_dir(void);
/* Takes the lock of domid: a descriptor to keep (close() releases it), or a negative
   XDUMP_E_* (XDUMP_E_BUSY with the holder's pid in the message). */
int xd_lock_domain(uint32_t domid, char *err, size_t errlen);

#endif
