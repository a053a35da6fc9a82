/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One dumper per domain: an advisory lock keyed by domain id, released when the process ends
   however it ends (flock). The lock is bookkeeping: it must never cost the dump. */
#ifndef XD_LOCK_H
#define XD_LOCK_H

#include <stddef.h>
#include <stdint.h>

/* Takes the lock of domid. Returns:
     0  locked: *fd is the descriptor to keep (close() releases it);
     1  no lock could be had (the directory is missing and cannot be made, read-only, ...):
        *fd is -1 and msg holds a one-line warning - the caller dumps anyway;
    <0  a negative XDUMP_E_*: XDUMP_E_BUSY when another xdump holds it (its pid in msg).
   A missing lock directory is created first (0755, as systemd-tmpfiles makes /run/lock). */
int xd_lock_domain(uint32_t domid, int *fd, char *msg, size_t msglen);

#endif
